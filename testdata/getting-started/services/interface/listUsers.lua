-- A handler of another platform service's event, which luagate does not run.
return Keystore.list({match = "user:*"})
