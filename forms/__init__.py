"""One Flask-WTF form per human BPMN step, looked up by the step's form key."""
