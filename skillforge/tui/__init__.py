"""The textual app over the registry: browse, read, diff, edit and roll back skills."""
