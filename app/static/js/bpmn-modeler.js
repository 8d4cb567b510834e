// 在线编辑: the bpmn-js modeler with Duban's own small properties panel (no inline script: the CSP allows none).
// The panel offers only what Duban understands: a user step's formKey (StepKey) and role, a lane's role for all
// its steps, a gateway flow's condition and a script task's script. Saving posts the XML to the same checks,
// diff and deploy flow as an uploaded file; the server decides, nothing is stored until 确认部署.
(function () {
  'use strict';

  // Just enough of SpiffWorkflow's extension schema to read and write spiffworkflow:properties.
  var SPIFF = {
    name: 'SpiffWorkflow',
    uri: 'http://spiffworkflow.org/bpmn/schema/1.0/core',
    prefix: 'spiffworkflow',
    xml: { tagAlias: 'lowerCase' },
    types: [
      { name: 'Properties', superClass: ['Element'],
        properties: [{ name: 'properties', type: 'Property', isMany: true }] },
      { name: 'Property', superClass: ['Element'],
        properties: [{ name: 'name', type: 'String', isAttr: true }, { name: 'value', type: 'String', isAttr: true }] },
      { name: 'PreScript', superClass: ['Element'], properties: [{ name: 'value', type: 'String', isBody: true }] },
      { name: 'PostScript', superClass: ['Element'], properties: [{ name: 'value', type: 'String', isBody: true }] }
    ]
  };
  var HUMAN = ['bpmn:UserTask', 'bpmn:ManualTask'];
  var GATEWAYS = ['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway'];
  var KINDS = { task: '人工步骤', lane: '泳道', condition: '网关条件连线', script: '脚本任务', other: '元素' };

  var container = document.querySelector('[data-testid=modeler]');
  if (!container) { return; }
  var choices = JSON.parse(container.dataset.choices);
  var panel = document.querySelector('[data-testid=properties]');
  var form = document.querySelector('[data-modeler-form]');
  var modeler = new BpmnJS({ container: container, moddleExtensions: { spiffworkflow: SPIFF } });
  var moddle = modeler.get('moddle');
  var modeling = modeler.get('modeling');
  var selected = null;

  function field(prop) { return panel.querySelector('[data-prop=' + prop + ']'); }

  function options(select, pairs) {
    select.replaceChildren();
    [['', '(未设置)']].concat(pairs).forEach(function (pair) {
      var option = document.createElement('option');
      option.value = pair[0];
      option.textContent = pair[1];
      select.appendChild(option);
    });
  }
  options(field('formKey'), choices.formKeys.map(function (key) { return [key, key]; }));
  options(field('role'), choices.roles);

  function kindOf(element) {
    var bo = element.businessObject;
    if (HUMAN.indexOf(element.type) >= 0) { return 'task'; }
    if (element.type === 'bpmn:Lane') { return 'lane'; }
    if (element.type === 'bpmn:ScriptTask') { return 'script'; }
    if (element.type === 'bpmn:SequenceFlow' && bo.sourceRef && GATEWAYS.indexOf(bo.sourceRef.$type) >= 0) {
      return 'condition';
    }
    return 'other';
  }

  function propertiesOf(bo, create) {
    var ext = bo.extensionElements;
    if (!ext && !create) { return null; }
    if (!ext) {
      ext = moddle.create('bpmn:ExtensionElements', { values: [] });
      ext.$parent = bo;
      bo.extensionElements = ext;
    }
    ext.values = ext.values || [];
    var found = ext.values.find(function (value) { return value.$type === 'spiffworkflow:Properties'; });
    if (!found && create) {
      found = moddle.create('spiffworkflow:Properties', { properties: [] });
      found.$parent = ext;
      ext.values.push(found);
    }
    return found || null;
  }

  function getProperty(bo, name) {
    var props = propertiesOf(bo, false);
    var found = props && (props.properties || []).find(function (p) { return p.name === name; });
    return found ? found.value || '' : '';
  }

  function setProperty(bo, name, value) {
    var props = propertiesOf(bo, true);
    props.properties = props.properties || [];
    var found = props.properties.find(function (p) { return p.name === name; });
    if (!value) {
      if (found) { props.properties.splice(props.properties.indexOf(found), 1); }
      return;
    }
    if (!found) {
      found = moddle.create('spiffworkflow:Property', { name: name });
      found.$parent = props;
      props.properties.push(found);
    }
    found.value = value;
  }

  function laneSteps(lane) {
    return (lane.businessObject.flowNodeRef || []).filter(function (node) { return HUMAN.indexOf(node.$type) >= 0; });
  }

  function show(element) {
    selected = element || null;
    var fields = panel.querySelector('[data-panel-fields]');
    panel.querySelector('[data-panel-empty]').hidden = !!selected;
    fields.hidden = !selected;
    if (!selected) { return; }
    var kind = kindOf(selected);
    var bo = selected.businessObject;
    panel.querySelector('[data-panel-kind]').textContent = KINDS[kind] + ' ' + bo.id;
    panel.querySelectorAll('[data-only]').forEach(function (node) {
      node.hidden = node.dataset.only.split(' ').indexOf(kind) < 0;
    });
    field('name').value = bo.name || '';
    field('formKey').value = getProperty(bo, 'formKey');
    var roles = kind === 'lane' ? laneSteps(selected).map(function (step) { return getProperty(step, 'role'); })
      : [getProperty(bo, 'role')];
    field('role').value = roles.every(function (role) { return role === roles[0]; }) ? roles[0] || '' : '';
    field('condition').value = bo.conditionExpression ? bo.conditionExpression.body || '' : '';
    field('script').value = bo.script || '';
  }

  var apply = {
    name: function (value) { modeling.updateProperties(selected, { name: value }); },
    formKey: function (value) { setProperty(selected.businessObject, 'formKey', value); },
    role: function (value) {
      var steps = kindOf(selected) === 'lane' ? laneSteps(selected) : [selected.businessObject];
      steps.forEach(function (step) { setProperty(step, 'role', value); });
    },
    condition: function (value) {
      var expression = value.trim() ? moddle.create('bpmn:FormalExpression', { body: value }) : undefined;
      modeling.updateProperties(selected, { conditionExpression: expression });
    },
    script: function (value) { modeling.updateProperties(selected, { script: value }); }
  };

  Object.keys(apply).forEach(function (prop) {
    var input = field(prop);
    input.addEventListener(input.tagName === 'SELECT' ? 'change' : 'input', function () {
      if (selected) { apply[prop](input.value); }
    });
  });

  // SpiffWorkflow reads loopDataInputRef as a variable name (cooperating_unit_ids), which bpmn-moddle sees as an
  // unresolved id and would drop on export: keep it as a stand-in element of that id, written back unchanged.
  function keepUnresolved(warning) {
    var element = warning.element;
    var descriptor = element && warning.property && element.$descriptor.propertiesByName[warning.property];
    if (descriptor && !descriptor.isMany && warning.value && !element.get(warning.property)) {
      element.set(warning.property, moddle.create('bpmn:ItemAwareElement', { id: warning.value }));
    }
  }

  modeler.on('selection.changed', function (event) { show(event.newSelection[0]); });

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    modeler.saveXML({ format: true }).then(function (result) {
      document.getElementById('modeler-xml').value = result.xml;
      HTMLFormElement.prototype.submit.call(form);  // form.submit is the button named "submit"
    }).catch(function (error) {
      form.querySelector('[data-modeler-error]').textContent = '无法导出流程图:' + error.message;
    });
  });

  fetch(container.dataset.bpmnUrl, { credentials: 'same-origin' })
    .then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.text();
    })
    .then(function (xml) { return modeler.importXML(xml); })
    .then(function (result) {
      (result.warnings || []).forEach(keepUnresolved);
      modeler.get('canvas').zoom('fit-viewport');
      form.querySelector('[type=submit]').disabled = false;
      container.dataset.rendered = 'true';
    })
    .catch(function (error) {
      container.textContent = '流程图加载失败:' + error.message;
      container.dataset.rendered = 'error';
    });
})();
