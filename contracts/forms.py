"""Forms of the contract pages. The contract pages only read for now: contracts, parties,
money and milestones are edited in Django admin through contracts.services."""
