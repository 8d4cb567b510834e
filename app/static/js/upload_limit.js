// Refuses, before anything is sent, a form whose chosen files exceed the upload limit (data-max-bytes):
// the server could only answer 413 without reading the form, and what was typed would be lost.
(function () {
  'use strict';

  function megabytes(bytes) {
    return (Math.ceil(bytes / 1024 / 1024 * 10) / 10).toString();
  }

  document.querySelectorAll('form').forEach(function (form) {
    var inputs = form.querySelectorAll('input[type=file][data-max-bytes]');
    if (!inputs.length) { return; }
    var limit = Number(inputs[0].dataset.maxBytes);
    form.addEventListener('submit', function (event) {
      var total = 0;
      inputs.forEach(function (input) {
        Array.prototype.forEach.call(input.files || [], function (file) { total += file.size; });
      });
      var shown = form.querySelector('[data-testid=upload-too-large]');
      if (shown) { shown.remove(); }
      if (total <= limit) { return; }
      event.preventDefault();
      var message = document.createElement('div');
      message.className = 'alert alert-danger mt-2';
      message.setAttribute('role', 'alert');
      message.dataset.testid = 'upload-too-large';
      message.textContent = '所选文件合计 ' + megabytes(total) + ' MB,超过了 ' + megabytes(limit) +
        ' MB 的上限,尚未提交。请压缩文件或减少附件后再提交;已填写的内容仍保留在本页。';
      inputs[0].insertAdjacentElement('afterend', message);
      message.scrollIntoView({ block: 'center' });
    });
  });
})();
