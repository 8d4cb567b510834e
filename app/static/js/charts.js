// Draws each [data-chart] with ECharts from its <script type="application/json" id="option-ID"> block,
// and toggles the table view beside it. No inline script: the CSP allows only our own files.
(function () {
  'use strict';

  function draw(container) {
    var option = JSON.parse(document.getElementById('option-' + container.dataset.chart).textContent);
    var chart = echarts.init(container, null, { renderer: 'canvas' });
    chart.on('finished', function () { container.dataset.rendered = 'true'; });
    chart.setOption(option);
    window.addEventListener('resize', function () { chart.resize(); });
  }

  function toggle(button) {
    var id = button.dataset.toggleTable;
    var table = document.getElementById('table-' + id);
    var chart = document.getElementById('chart-' + id);
    var showTable = table.classList.contains('d-none');
    table.classList.toggle('d-none', !showTable);
    chart.classList.toggle('d-none', showTable);
    button.textContent = showTable ? '图表' : '表格';
    button.setAttribute('aria-expanded', String(showTable));
    if (!showTable) { echarts.getInstanceByDom(chart).resize(); }
  }

  document.querySelectorAll('[data-chart]').forEach(draw);
  document.querySelectorAll('[data-toggle-table]').forEach(function (button) {
    button.addEventListener('click', function () { toggle(button); });
  });
}());
