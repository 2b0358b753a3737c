package backend

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// keySize is the size of master and data keys (AES-256).
const keySize = 32

// MasterKey seals the per-stack data keys. It is read from a file holding 64 hex digits that
// only its owner may read; it never leaves the server and is never logged.
type MasterKey struct {
	aead cipher.AEAD
}

// LoadMasterKey reads the master key at path. With create set, a missing file is created with a
// new random key (mode 0600) and created reports it. A file that others may read, or that does
// not hold exactly 64 hex digits, is refused.
func LoadMasterKey(path string, create bool) (key *MasterKey, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		var k [keySize]byte
		if _, err := rand.Read(k[:]); err != nil {
			return nil, false, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("secrets key %s: %w", path, err)
		}
		_, werr := f.WriteString(hex.EncodeToString(k[:]) + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			return nil, false, fmt.Errorf("secrets key %s: %w", path, err)
		}
		m, err := NewMasterKey(k[:])
		return m, true, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("secrets key %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, false, fmt.Errorf("secrets key %s: %w", path, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("secrets key %s: mode %04o lets others read it; run `chmod 600 %s`", path, fi.Mode().Perm(), path)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(raw) != keySize {
		return nil, false, fmt.Errorf("secrets key %s: want %d hex digits (generate one with `openssl rand -hex %d`)", path, 2*keySize, keySize)
	}
	m, err := NewMasterKey(raw)
	return m, false, err
}

// NewMasterKey uses 32 bytes as the master key.
func NewMasterKey(raw []byte) (*MasterKey, error) {
	aead, err := newAEAD(raw)
	if err != nil {
		return nil, err
	}
	return &MasterKey{aead: aead}, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("key of %d bytes; want %d", len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// NewSealedStackKey makes a fresh data key for stackID and returns it sealed under m.
func (m *MasterKey) NewSealedStackKey(stackID string) ([]byte, error) {
	var k [keySize]byte
	if _, err := rand.Read(k[:]); err != nil {
		return nil, err
	}
	return seal(m.aead, k[:], []byte("iamref stack key:"+stackID))
}

// StackKey opens a stack's sealed data key. A key sealed for another stack, or under another
// master key, does not open.
func (m *MasterKey) StackKey(stackID string, sealed []byte) (*StackKey, error) {
	raw, err := open(m.aead, sealed, []byte("iamref stack key:"+stackID))
	if err != nil {
		return nil, errors.New("the stack's secrets key does not open with this server's master key (was --secrets-key-file changed?)")
	}
	aead, err := newAEAD(raw)
	if err != nil {
		return nil, err
	}
	return &StackKey{aead: aead, ad: []byte("iamref secret:" + stackID)}, nil
}

// StackKey encrypts and decrypts one stack's secret values (the service secrets provider).
type StackKey struct {
	aead cipher.AEAD
	ad   []byte
}

// Encrypt returns the ciphertext of plaintext.
func (k *StackKey) Encrypt(plaintext []byte) ([]byte, error) { return seal(k.aead, plaintext, k.ad) }

// Decrypt returns the plaintext of a ciphertext Encrypt made with this stack's key.
func (k *StackKey) Decrypt(ciphertext []byte) ([]byte, error) {
	p, err := open(k.aead, ciphertext, k.ad)
	if err != nil {
		return nil, ErrNotOurs
	}
	return p, nil
}

// ErrNotOurs is the error for a ciphertext this stack's key did not make (or that was altered).
var ErrNotOurs = errors.New("the ciphertext was not made by this stack's secrets key, or was altered")

// version tags the ciphertext format.
const version = 1

func seal(aead cipher.AEAD, plain, ad []byte) ([]byte, error) {
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plain)+aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return aead.Seal(out, out[1:], plain, ad), nil
}

func open(aead cipher.AEAD, sealed, ad []byte) ([]byte, error) {
	n := aead.NonceSize()
	if len(sealed) < 1+n+aead.Overhead() || sealed[0] != version {
		return nil, ErrNotOurs
	}
	return aead.Open(nil, sealed[1:1+n], sealed[1+n:], ad)
}
