// An independent check of liaison's ledger formats (issue 12, item 6), with Go's own
// golang.org/x/mod/sumdb/note (C2SP signed notes, Ed25519 verifier keys) and
// golang.org/x/mod/sumdb/tlog (RFC 6962 inclusion and consistency proofs).
//
// Reads one JSON document on standard input:
//
//	{"vkey": "...", "checkpoints": ["note text", ...],
//	 "inclusion": [{"body": b64, "index": n, "size": n, "proof": [b64...]}],
//	 "consistency": [{"old": n, "new": n, "proof": [b64...]}],
//	 "cosigned": [{"note": "note text", "witness": "witness vkey"}]}
//
// Every proof is checked against the roots of the signed checkpoints of its sizes. Each
// cosigned note is opened with the log's key (sumdb/note ignores the cosignature line: it
// does not know signature type 0x04) and its witness's cosignature is checked by the code
// below, written from C2SP tlog-cosignature with crypto/ed25519 and crypto/sha256. Prints
// one line per check ("ok ..." or "FAIL ...") and exits 1 if any check failed.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type input struct {
	Vkey        string   `json:"vkey"`
	Checkpoints []string `json:"checkpoints"`
	Inclusion   []struct {
		Body  string   `json:"body"`
		Index int64    `json:"index"`
		Size  int64    `json:"size"`
		Proof []string `json:"proof"`
	} `json:"inclusion"`
	Consistency []struct {
		Old   int64    `json:"old"`
		New   int64    `json:"new"`
		Proof []string `json:"proof"`
	} `json:"consistency"`
	Cosigned []struct {
		Note    string `json:"note"`
		Witness string `json:"witness"`
	} `json:"cosigned"`
}

var failed = false

func report(err error, what string) {
	if err != nil {
		failed = true
		fmt.Printf("FAIL %s: %v\n", what, err)
		return
	}
	fmt.Printf("ok %s\n", what)
}

func hashes(texts []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(texts))
	for i, t := range texts {
		raw, err := base64.StdEncoding.DecodeString(t)
		if err != nil || len(raw) != tlog.HashSize {
			return nil, fmt.Errorf("hash %d: not a base64 SHA-256", i)
		}
		copy(out[i][:], raw)
	}
	return out, nil
}

// checkpoint opens a signed note and parses its C2SP tlog-checkpoint body.
func checkpoint(text string, verifier note.Verifier) (int64, tlog.Hash, error) {
	var root tlog.Hash
	n, err := note.Open([]byte(text), note.VerifierList(verifier))
	if err != nil {
		return 0, root, err
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		return 0, root, fmt.Errorf("not a checkpoint of %s", verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return 0, root, fmt.Errorf("bad tree size %q", lines[1])
	}
	parsed, err := hashes([]string{lines[2]})
	if err != nil {
		return 0, root, err
	}
	return size, parsed[0], nil
}

// witnessKey parses a cosigner's vkey, <name>+<hex key ID>+<base64(0x04 || key)>, and
// checks its key ID: SHA-256(name || 0x0A || 0x04 || key)[:4] (C2SP tlog-cosignature).
func witnessKey(vkey string) (string, []byte, ed25519.PublicKey, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return "", nil, nil, fmt.Errorf("witness vkey is not <name>+<id>+<key>")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 0x04 {
		return "", nil, nil, fmt.Errorf("witness vkey is not an Ed25519 cosignature key")
	}
	digest := sha256.Sum256(append([]byte(parts[0]+"\n"), raw...))
	if hex.EncodeToString(digest[:4]) != strings.ToLower(parts[1]) {
		return "", nil, nil, fmt.Errorf("witness vkey's key ID does not match its key")
	}
	return parts[0], digest[:4], ed25519.PublicKey(raw[1:]), nil
}

// cosignature opens the cosigned checkpoint with the log's verifier and checks the
// witness's cosignature: base64(key ID || u64 timestamp || Ed25519 signature) over
// "cosignature/v1\ntime <timestamp>\n" followed by the note text. Returns the timestamp.
func cosignature(text string, verifier note.Verifier, vkey string) (uint64, error) {
	if _, _, err := checkpoint(text, verifier); err != nil {
		return 0, err
	}
	n, err := note.Open([]byte(text), note.VerifierList(verifier))
	if err != nil {
		return 0, err
	}
	name, id, key, err := witnessKey(vkey)
	if err != nil {
		return 0, err
	}
	for _, sig := range n.UnverifiedSigs {
		raw, err := base64.StdEncoding.DecodeString(sig.Base64)
		if sig.Name != name || err != nil || len(raw) < 4 || !bytes.Equal(raw[:4], id) {
			continue
		}
		if len(raw) != 4+8+ed25519.SignatureSize {
			return 0, fmt.Errorf("cosignature by %s is not a timestamped signature", name)
		}
		timestamp := binary.BigEndian.Uint64(raw[4:12])
		if timestamp > 1<<63-1 {
			return 0, fmt.Errorf("cosignature timestamp above 2^63-1")
		}
		message := fmt.Sprintf("cosignature/v1\ntime %d\n%s", timestamp, n.Text)
		if !ed25519.Verify(key, []byte(message), raw[12:]) {
			return 0, fmt.Errorf("invalid cosignature by %s", name)
		}
		return timestamp, nil
	}
	return 0, fmt.Errorf("no cosignature by %s", name)
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Println("FAIL input:", err)
		os.Exit(2)
	}
	verifier, err := note.NewVerifier(in.Vkey)
	if err != nil {
		fmt.Println("FAIL vkey:", err)
		os.Exit(1)
	}
	roots := map[int64]tlog.Hash{}
	for i, text := range in.Checkpoints {
		size, root, err := checkpoint(text, verifier)
		report(err, fmt.Sprintf("checkpoint %d", i))
		if err == nil {
			roots[size] = root
		}
	}
	for _, p := range in.Inclusion {
		body, err := base64.StdEncoding.DecodeString(p.Body)
		proof, herr := hashes(p.Proof)
		root, known := roots[p.Size]
		switch {
		case err != nil || herr != nil:
			err = fmt.Errorf("bad input")
		case !known:
			err = fmt.Errorf("no signed checkpoint of size %d", p.Size)
		default:
			err = tlog.CheckRecord(proof, p.Size, root, p.Index, tlog.RecordHash(body))
		}
		report(err, fmt.Sprintf("inclusion of %d in %d", p.Index, p.Size))
	}
	for _, p := range in.Consistency {
		proof, err := hashes(p.Proof)
		old, knownOld := roots[p.Old]
		newer, knownNew := roots[p.New]
		switch {
		case err != nil:
		case !knownOld || !knownNew:
			err = fmt.Errorf("no signed checkpoints of sizes %d and %d", p.Old, p.New)
		default:
			err = tlog.CheckTree(proof, p.New, newer, p.Old, old)
		}
		report(err, fmt.Sprintf("consistency from %d to %d", p.Old, p.New))
	}
	for i, c := range in.Cosigned {
		timestamp, err := cosignature(c.Note, verifier, c.Witness)
		report(err, fmt.Sprintf("cosignature %d (time %d)", i, timestamp))
	}
	if failed {
		os.Exit(1)
	}
}
