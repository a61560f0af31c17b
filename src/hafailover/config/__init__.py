"""The cluster configuration: model (``model``), YAML loading and validation."""
