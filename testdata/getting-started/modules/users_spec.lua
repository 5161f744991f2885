-- Excluded by murano.yaml: a test of the users module, not a module.
error("a spec file was deployed")
