// Package config reads the mcpwatch configuration file: the servers to
// watch, how to authenticate to them, and how often to check them.
//
// Loading never stops at the first problem. Every error carries the file,
// line and column of the offending key or value, the field path
// (servers[2].auth.method) and what would be valid, so that an operator can
// fix a whole file in one pass. Secrets are held by reference (${ENV} or a
// file) and are only read when a probe needs them, via Secret.Resolve.
package config

import (
	"crypto/sha256"
	"time"
)

// Transports.
const (
	TransportAuto  = "auto"  // the default: streamable HTTP, else legacy HTTP+SSE (spec, backwards compatibility)
	TransportHTTP  = "http"  // streamable HTTP only
	TransportSSE   = "sse"   // legacy HTTP+SSE only
	TransportStdio = "stdio" // a local process speaking MCP on its stdin and stdout
)

// Auth types.
const (
	AuthNone   = "none"
	AuthBearer = "bearer"
	AuthHeader = "header"
	AuthBasic  = "basic"
	AuthOAuth2 = "oauth2"
)

// OAuth2 flows. Only client credentials can be run unattended; an
// authorization-code server is accepted so the file can list it, and the
// probe reports it as skipped.
const (
	FlowClientCredentials = "client_credentials"
	FlowAuthorizationCode = "authorization_code"
)

// OAuth2 client authentication methods (RFC 6749 §2.3, RFC 7523).
const (
	MethodClientSecretBasic = "client_secret_basic"
	MethodClientSecretPost  = "client_secret_post"
	MethodPrivateKeyJWT     = "private_key_jwt"
)

// Defaults applied when the file (or a programmatic Server) leaves a value out.
const (
	DefaultInterval    = 30 * time.Second
	DefaultTimeout     = 10 * time.Second
	DefaultSlow        = 2 * time.Second
	DefaultConcurrency = 32
	DefaultPerHost     = 4
)

// Valid values, in the order they are listed in error hints.
var (
	transports  = []string{TransportAuto, TransportHTTP, TransportSSE, TransportStdio}
	authTypes   = []string{AuthNone, AuthBearer, AuthHeader, AuthBasic, AuthOAuth2}
	flows       = []string{FlowClientCredentials, FlowAuthorizationCode}
	authMethods = []string{MethodClientSecretBasic, MethodClientSecretPost, MethodPrivateKeyJWT}
)

// File is a loaded, validated configuration.
type File struct {
	Path        string // source path ("" for programmatic)
	Defaults    Defaults
	Concurrency int // probes in flight across the whole pool
	PerHost     int // probes in flight per host
	// AllowStdio lets stdio servers run. A config file (or an imported one)
	// naming a command must not be enough to make mcpwatch execute it; the
	// operator opts in once, for the file. Copied to Server.Stdio.Allowed.
	AllowStdio bool
	State      State // the history kept in the state dir (state.go)
	Servers    []Server
	// Digest is the SHA-256 of the bytes parsed (zero when built in code):
	// the Watcher's baseline, so an edit made after the load is never
	// mistaken for what is running.
	Digest [sha256.Size]byte
}

// Defaults are the timings a server inherits unless it sets its own.
type Defaults struct {
	Interval time.Duration // time between checks
	Timeout  time.Duration // deadline for one whole check
	Slow     time.Duration // a check slower than this is degraded
	// MaxMessageSize bounds one message from a server, in bytes.
	MaxMessageSize int64
}

// Server is one MCP server to watch. Durations are already merged with the
// file's defaults.
type Server struct {
	Name      string
	URL       string            // http and sse only
	Transport string            // TransportAuto, TransportHTTP, TransportSSE or TransportStdio
	Headers   map[string]Secret // extra request headers; values may be ${ENV} references
	Tags      []string
	Interval  time.Duration
	Timeout   time.Duration
	Slow      time.Duration
	Disabled  bool // reported as skipped, never probed
	// MaxMessageSize bounds one message from the server (a JSON body, an SSE
	// event, a stdio line), in bytes; 0 (a programmatic server) means 4 MiB.
	MaxMessageSize int64
	Auth           Auth
	Stdio          Stdio    // transport: stdio only
	Pos            Position // where the list item starts; zero for programmatic servers
}

// Stdio says how to start a stdio server. Each check starts the process,
// talks MCP over its stdin and stdout, and ends its whole process group.
type Stdio struct {
	Command string   // looked up in mcpwatch's PATH unless it contains a slash
	Args    []string // passed as they are, no shell
	// Env is added to the few variables the process inherits (PATH, HOME …);
	// values may be ${ENV} references, read at each check like any secret.
	Env map[string]Secret
	// Cwd is the working directory. Relative paths, and an empty Cwd in a
	// config file, mean the config file's directory; a programmatic server
	// with an empty Cwd runs in mcpwatch's working directory.
	Cwd string
	// Allowed is File.AllowStdio, copied so that a check needs nothing but
	// its Server and a reload that flips allow_stdio restarts the server.
	Allowed bool
}

// Auth says how to authenticate to a server. Only the fields of the chosen
// Type are set; validation rejects the others.
type Auth struct {
	Type string // AuthNone, AuthBearer, AuthHeader, AuthBasic or AuthOAuth2

	// bearer
	Token Secret

	// header
	Header string
	Value  Secret

	// basic
	Username string
	Password Secret

	// oauth2
	Flow         string // FlowClientCredentials (default) or FlowAuthorizationCode
	TokenURL     string // "" = discover from the server's protected-resource metadata
	ClientID     string
	ClientSecret Secret
	Scopes       []string
	Audience     string // vendor extra, sent as audience=
	Resource     string // RFC 8707 resource; defaults to the server URL
	// Method is the client authentication method. "" means the probe picks
	// one from the authorization server's metadata, so it is left empty here
	// rather than defaulted.
	Method         string
	PrivateKeyFile string // PEM key for private_key_jwt; relative paths are resolved against the config file
	// AssertionAudience overrides the aud of private_key_jwt assertions. "" means the
	// authorization server's issuer when it is discovered, else the token URL.
	AssertionAudience string
	// Issuer pins the authorization server a discovered token endpoint must belong to.
	// Without it, credentials go only to an authorization server on the MCP server's
	// own origin; a server cannot point them anywhere else (docs/oauth.md, trust model).
	Issuer string
}

// Limits on files mcpwatch reads because the config names them. Both are
// far above any real file and far below what would hurt a jump host; see
// docs/config.md.
const (
	// MaxFileSize bounds a config file (and a file given to config import).
	MaxFileSize = 4 << 20
	// MaxSecretFileSize bounds a *_file secret.
	MaxSecretFileSize = 64 << 10
)
