package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestKillDuringDeploysLeavesOneWholeRevision kills the server with SIGKILL
// at random moments while it deploys, 30 times. After each restart the
// stored solution is exactly one of those sent, never a mix of two, and the
// server starts.
func TestKillDuringDeploysLeavesOneWholeRevision(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Each revision changes every part at once, so a torn write would show.
	revision := func(n int) string {
		sol := map[string]any{
			"endpoints": []map[string]string{
				{"path": "/a", "script": fmt.Sprintf("return 'a%d'", n)},
				{"path": fmt.Sprintf("/only-in-%d", n), "script": fmt.Sprintf("return %d", n)},
			},
			"modules":       map[string]string{"m": fmt.Sprintf("return %d", n)},
			"eventhandlers": map[string]string{},
			"config":        map[string]any{"policies": map[string]any{}, "defaults": map[string]any{}},
		}
		b, _ := json.Marshal(sol)
		return string(b)
	}
	var (
		mu   sync.Mutex
		sent = map[string]bool{} // canonical solutions a deploy was started with
	)
	canonical := func(s *server, body string) string {
		var v any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			s.t.Fatalf("solution is not JSON: %v: %s", err, body)
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	next, matched := 0, 0
	for round := range 30 {
		s := startServer(t, dir, nil)
		token := s.token()
		status, stored := s.request(token, http.MethodGet, "/api/v1/solution", "")
		if status != http.StatusOK {
			t.Fatalf("round %d: GET solution: %d %s", round, status, stored)
		}
		if round > 0 {
			got := canonical(s, stored)
			mu.Lock()
			ok := sent[got]
			mu.Unlock()
			if !ok && !strings.Contains(stored, `"endpoints":[]`) {
				t.Fatalf("round %d: stored solution is none of the revisions sent:\n%s", round, stored)
			}
			if ok {
				matched++
			}
		}
		// Deploy as fast as possible until the kill.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				next++
				body := revision(next)
				var v any
				_ = json.Unmarshal([]byte(body), &v)
				// What GET returns for it: the same shape, sorted.
				want, _ := json.Marshal(v)
				mu.Lock()
				sent[string(want)] = true
				mu.Unlock()
				req, _ := http.NewRequest(http.MethodPut, "http://"+s.addr+"/api/v1/solution", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					return // killed
				}
				resp.Body.Close()
			}
		}()
		time.Sleep(time.Duration(mathrand.IntN(40)) * time.Millisecond)
		if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-s.done
		close(stop)
		wg.Wait()
	}
	// Most kills must have landed after a deploy, or the test proved little.
	if matched < 10 {
		t.Fatalf("only %d of 29 restarts found a deployed revision", matched)
	}
	t.Logf("%d deploys started, %d restarts found a deployed revision", next, matched)
}

func TestCorruptDatabaseIsAClearErrorAtStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "luagate.db")
	junk := make([]byte, 64<<10)
	_, _ = rand.Read(junk)
	if err := os.WriteFile(db, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
	if code == 0 {
		t.Fatal("luagate started on a corrupt database")
	}
	if !strings.Contains(stderr, db) || !strings.Contains(stderr, "corrupt") {
		t.Errorf("error does not name the file and say it is corrupt:\n%s", stderr)
	}
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
		t.Errorf("start on a corrupt database panicked:\n%s", stderr)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "luagate test"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile, roots
}

func TestTLSServesHTTPSAndWSS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, roots := selfSigned(t)
	s := startServer(t, t.TempDir(), nil, "--tls-cert", certFile, "--tls-key", keyFile)
	tlsConfig := &tls.Config{RootCAs: roots}
	client := &http.Client{Timeout: ioTimeout, Transport: &http.Transport{TLSClientConfig: tlsConfig}}

	body := `{"path":"/secure","script":"if websocketInfo.type == 'open' then return websocketInfo.uri end"}`
	req, _ := http.NewRequest(http.MethodPut, "https://"+s.addr+"/api/v1/solution/endpoints", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token())
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("deploy over HTTPS: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("deploy over HTTPS: %d %s", resp.StatusCode, b)
	}

	d := websocket.Dialer{TLSClientConfig: tlsConfig, HandshakeTimeout: ioTimeout}
	ws, _, err := d.Dial("wss://"+s.addr+"/secure", nil)
	if err != nil {
		t.Fatalf("dial wss: %v", err)
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(ioTimeout))
	_, uri, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if want := "wss://" + s.addr + "/secure"; string(uri) != want {
		t.Errorf("websocketInfo.uri = %q, want %q", uri, want)
	}
	if _, _, err := websocket.DefaultDialer.Dial("ws://"+s.addr+"/secure", nil); err == nil {
		t.Error("a plain ws:// connection was accepted by the TLS server")
	}
}

func TestTLSFlagsGoTogether(t *testing.T) {
	t.Parallel()
	code, _, stderr := runCLI(t, nil, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--tls-cert", "x.pem")
	if code == 0 || !strings.Contains(stderr, "--tls-key") {
		t.Fatalf("--tls-cert without --tls-key: exit %d, %s", code, stderr)
	}
}
