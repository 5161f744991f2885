package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"slices"
)

// loadKeyFile reads a JWKS file (a JSON object) or a file of PEM public
// keys.
func loadKeyFile(name string) ([]verificationKey, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		return parseJWKS(b)
	}
	var keys []verificationKey
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		var pub any
		switch block.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			var cert *x509.Certificate
			if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
				pub = cert.PublicKey
			}
		default:
			return nil, fmt.Errorf("PEM block %q: give public keys only (PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE)", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("PEM block %q: %w", block.Type, err)
		}
		algs, err := algorithmsOf(pub)
		if err != nil {
			return nil, err
		}
		keys = append(keys, verificationKey{algs: algs, key: pub})
	}
	if len(keys) == 0 {
		return nil, errors.New("no PEM public key and not a JWKS file")
	}
	return keys, nil
}

// jwk is the part of a JSON Web Key a verifier reads.
type jwk struct {
	Kty, Kid, Alg, Use, Crv string
	N, E, X, Y              string
}

// parseJWKS reads {"keys":[...]}. A key with "use" other than "sig" is
// skipped; an "alg" narrows the key's algorithms to it.
func parseJWKS(b []byte) ([]verificationKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	var keys []verificationKey
	for i, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		pub, err := k.publicKey()
		if err != nil {
			return nil, fmt.Errorf("JWKS key %d (kid %q): %w", i, k.Kid, err)
		}
		algs, err := algorithmsOf(pub)
		if err != nil {
			return nil, fmt.Errorf("JWKS key %d (kid %q): %w", i, k.Kid, err)
		}
		if k.Alg != "" {
			if !slices.Contains(algs, k.Alg) {
				return nil, fmt.Errorf("JWKS key %d (kid %q): alg %s does not fit a %s key", i, k.Kid, k.Alg, k.Kty)
			}
			algs = []string{k.Alg}
		}
		keys = append(keys, verificationKey{kid: k.Kid, algs: algs, key: pub})
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS: no signing key")
	}
	return keys, nil
}

func (k jwk) publicKey() (any, error) {
	switch k.Kty {
	case "RSA":
		n, err1 := b64int(k.N)
		e, err2 := b64int(k.E)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("RSA n or e: %w", err)
		}
		if !e.IsInt64() || e.Int64() < 3 || n.BitLen() < 2048 {
			return nil, errors.New("RSA key: e must be small and n at least 2048 bits")
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case "EC":
		curve, ok := map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}[k.Crv]
		if !ok {
			return nil, fmt.Errorf("EC curve %q is not supported", k.Crv)
		}
		x, err1 := base64.RawURLEncoding.DecodeString(k.X)
		y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
		size := (curve.Params().BitSize + 7) / 8
		if err := errors.Join(err1, err2); err != nil || len(x) != size || len(y) != size {
			return nil, fmt.Errorf("EC x or y: %d bytes each in base64url expected", size)
		}
		return ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
	case "OKP":
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if k.Crv != "Ed25519" || err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("OKP key: only Ed25519 with a 32-byte x")
		}
		return ed25519.PublicKey(x), nil
	case "oct":
		return nil, errors.New("symmetric keys are not read from JWKS: give the secret with --jwt-secret-file")
	}
	return nil, fmt.Errorf("key type %q is not supported", k.Kty)
}

func b64int(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("not base64url: %q", s)
	}
	return new(big.Int).SetBytes(b), nil
}
