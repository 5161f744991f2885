-- Runs once after a deploy that changes it, as the platform runs a
-- solution's init script after setup.
Keystore.set({key = "users:next", value = "0"})
print("getting-started ready, loglevel " .. os.getenv("LOGLEVEL"))
