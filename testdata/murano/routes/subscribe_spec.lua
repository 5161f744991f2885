--#ENDPOINT WEBSOCKET /excluded
return "excluded by murano.yaml"
