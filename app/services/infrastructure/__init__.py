"""What every part of Duban leans on: accounts and API tokens, who sees what, the audit trail,
attachments on disk, in-app notices and the e-mails that carry them."""
