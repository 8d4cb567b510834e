// Draws each [data-bpmn-url] diagram with bpmn-js and marks where the process stands.
// data-current / data-completed hold JSON lists of BPMN element ids.
(function () {
  'use strict';

  function mark(canvas, ids, css) {
    ids.forEach(function (id) {
      try {
        canvas.addMarker(id, css);
      } catch (missing) {
        // The step is not drawn in this diagram version; nothing to mark.
      }
    });
  }

  function draw(container) {
    var viewer = new BpmnJS({ container: container });
    return fetch(container.dataset.bpmnUrl, { credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get('canvas');
        canvas.zoom('fit-viewport');
        mark(canvas, JSON.parse(container.dataset.completed || '[]'), 'duban-done');
        mark(canvas, JSON.parse(container.dataset.current || '[]'), 'duban-current');
        container.dataset.rendered = 'true';
      })
      .catch(function (error) {
        container.textContent = '流程图加载失败:' + error.message;
        container.dataset.rendered = 'error';
      });
  }

  document.querySelectorAll('[data-bpmn-url]').forEach(draw);
})();
