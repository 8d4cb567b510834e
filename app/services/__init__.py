"""Business rules, one module per concern; functions flush, the caller commits.

Grouped as the README tells the story, each package importing only those before it:
``infrastructure`` → ``timing`` → ``lifecycle`` → ``plans``, ``follow_up`` → ``scoring`` → ``dashboards``.
"""
