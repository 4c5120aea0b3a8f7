package probe

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mcpwatch/mcpwatch/authserver"
	"github.com/mcpwatch/mcpwatch/config"
)

// Test keys for the private_key_jwt rows of the fault matrix, generated once (RSA is slow under
// -race). Each is a crypto.Signer whose PKCS#8 PEM the rows write to a file.
var (
	testECKey  = sync.OnceValue(func() crypto.Signer { return mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)) })
	testRSAKey = sync.OnceValue(func() crypto.Signer { return mustKey(rsa.GenerateKey(rand.Reader, 2048)) })
	testEdKey  = sync.OnceValue(func() crypto.Signer {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return mustKey(k, err)
	})
)

func mustKey[K crypto.Signer](k K, err error) crypto.Signer {
	if err != nil {
		panic(err)
	}
	return k
}

func keyPEM(k crypto.Signer) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// keyServer replaces the fixture's authorization server with one that also knows testClient by
// pub for private_key_jwt; algs, when set, are all it accepts (and advertises).
func (f *fixture) keyServer(pub crypto.PublicKey, algs ...string) {
	f.as = authserver.New(authserver.Options{Clients: map[string]string{testClient: testSecret}, Lifetime: time.Hour,
		ClientKeys: map[string]crypto.PublicKey{testClient: pub}, SigningAlgs: algs})
	ts := serve(f.t, f.as)
	f.as.SetIssuer(ts.URL)
	f.asURL = ts.URL
}

// jwtServer is oauthServer with private_key_jwt: the key (PEM) in a file, no client secret.
func (f *fixture) jwtServer(url string, discover bool, pemData []byte) config.Server {
	s := f.oauthServer(url, discover)
	s.Auth.ClientSecret = config.Secret{}
	s.Auth.Method = config.MethodPrivateKeyJWT
	s.Auth.PrivateKeyFile = filepath.Join(f.t.TempDir(), "client.pem")
	if err := os.WriteFile(s.Auth.PrivateKeyFile, pemData, 0o600); err != nil {
		f.t.Fatal(err)
	}
	return s
}

// lastAssertion is what the token endpoint last received as a client assertion.
func (f *fixture) lastAssertion(t *testing.T) authserver.TokenRequest {
	t.Helper()
	got := f.as.Received()
	if len(got) == 0 || got[len(got)-1].Assertion == nil {
		t.Fatalf("no client assertion received: %+v", got)
	}
	return got[len(got)-1]
}

// replayingProxy sits in front of a token endpoint and, like a middlebox that retries, sends
// every request twice with the same body, answering with the second response. A client
// assertion's jti is then seen twice.
func replayingProxy(t *testing.T, target string) string {
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections) // after the proxy itself stops (cleanups run last first)
	return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var resp *http.Response
		for range 2 {
			if resp != nil {
				resp.Body.Close()
			}
			req, _ := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.Path, bytes.NewReader(body))
			req.Header = r.Header.Clone()
			var err error
			if resp, err = client.Do(req); err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})).URL
}
