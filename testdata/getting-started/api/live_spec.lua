--#ENDPOINT GET /api/spec
return "excluded by murano.yaml"
