print("subscriptions ready: at most " .. os.getenv("MAX_TOPICS") .. " topics per socket")
