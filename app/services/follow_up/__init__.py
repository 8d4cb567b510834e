"""督审处 following up where the ordinary course falls short: 整改 (rectification), 催办 (urging by hand)
and 延期申请 (a unit asking for a later due date)."""
