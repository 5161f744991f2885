-- A global module: no return, its functions are every script's globals.
function topic_group(topic)
  return "topic:" .. topic
end

function max_topics()
  return tonumber(os.getenv("MAX_TOPICS"))
end
