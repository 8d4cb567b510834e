"""Time and deadlines: working days on the Chinese calendar, each open step's due date and the sweep that
chases it (reminders, overdue notices, escalations), stagnation, the daily digest, a plan's 时限规则 and
the administrator's holiday overrides."""
