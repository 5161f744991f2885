-- A task router: each JSON message names the module that handles it in
-- its "module" field, as {"module": "task_engine", ...}.
--#ENDPOINT WEBSOCKET /tasks
--#ROUTESELECT $.module
--#ROUTE task_engine task_engine.handle
--#ROUTE db_engine db_engine.handle
--#ROUTE $default router.unknown
--#ROUTE $connect router.connect
--#ROUTE $disconnect router.disconnect
--#RATELIMIT standard
--#SUBPROTOCOLS tasks.v1

-- No event reaches the script itself: every one has a route.
return nil
