"""The incident: checklist evidence, the audit-logged timeline, the report."""
