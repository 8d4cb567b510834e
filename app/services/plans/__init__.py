"""A plan before the work starts: the unit directory, importing a plan document, resolving the names it
uses, and the plan page."""
