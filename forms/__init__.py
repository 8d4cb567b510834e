"""One Flask-WTF form per human BPMN step (a ``StepForm``), naming the step's form key."""
