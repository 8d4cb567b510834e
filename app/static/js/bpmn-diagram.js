// Draws each [data-bpmn-url] diagram with bpmn-js and marks where the process stands.
// data-current / data-completed hold JSON lists of BPMN element ids; data-marks maps a CSS class to ids.
// [data-bpmn-base64] names an element whose value is the diagram itself, base64-encoded (an upload not stored yet).
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

  function source(container) {
    if (container.dataset.bpmnBase64) {
      var binary = atob(document.getElementById(container.dataset.bpmnBase64).value);
      var bytes = Uint8Array.from(binary, function (c) { return c.charCodeAt(0); });
      return Promise.resolve(new TextDecoder().decode(bytes));
    }
    return fetch(container.dataset.bpmnUrl, { credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.text();
      });
  }

  function draw(container) {
    var viewer = new BpmnJS({ container: container });
    return source(container)
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get('canvas');
        canvas.zoom('fit-viewport');
        mark(canvas, JSON.parse(container.dataset.completed || '[]'), 'duban-done');
        mark(canvas, JSON.parse(container.dataset.current || '[]'), 'duban-current');
        var marks = JSON.parse(container.dataset.marks || '{}');
        Object.keys(marks).forEach(function (css) { mark(canvas, marks[css], css); });
        container.dataset.rendered = 'true';
      })
      .catch(function (error) {
        container.textContent = '流程图加载失败:' + error.message;
        container.dataset.rendered = 'error';
      });
  }

  document.querySelectorAll('[data-bpmn-url], [data-bpmn-base64]').forEach(draw);
})();
