package config

// Shared inputs for the tests.

const minimal = `servers:
  - name: a
    url: https://mcp.example.com/mcp
`

// fullExample is the format reference from docs/config.md.
const fullExample = `defaults: {interval: 30s, timeout: 10s, slow: 2s}
concurrency: 16
per_host: 2
servers:
  - name: billing
    url: https://mcp.example.com/mcp
    transport: http
    headers: {X-Tenant: acme, X-Api-Key: "${API_KEY}"}
    tags: [prod, eu]
    interval: 1m
    disabled: false
    auth:
      type: oauth2
      flow: client_credentials
      token_url: https://auth.example.com/oauth/token
      client_id: mcpwatch
      client_secret: ${BILLING_SECRET}
      scopes: [mcp:read]
      audience: https://api.example.com
      resource: https://mcp.example.com/mcp
      method: client_secret_basic
  - name: search
    url: https://search.example.com/sse
    transport: sse
    timeout: 5s
    slow: 1s
    disabled: true
    auth: {type: bearer, token_file: secrets/search}
`
