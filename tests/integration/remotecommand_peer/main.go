// remotecommand_peer is a client of airlock's streaming server that behaves like client-go's
// SPDY remotecommand and port-forward clients (kubectl exec / port-forward, crictl exec),
// built on moby/spdystream, the library those clients use. client-go itself is not packaged
// in Debian, so the client half of the protocol (mission-anchors §3.1-§3.4, §3.9) is written
// here from the protocol facts:
//
//   - HTTP/1.1 POST with Upgrade: SPDY/3.1 and one X-Stream-Protocol-Version line per offered
//     protocol; the 101 names the chosen one (empty = channel.k8s.io).
//   - streams created one by one, each waiting for its SYN_REPLY: error, stdin, stdout,
//     stderr (not with a tty), resize (v3+ with a tty).
//   - stdin copied and half-closed on EOF; stdout/stderr copied to EOF; then the error stream
//     read to EOF and decoded (v4: metav1.Status JSON, like errorDecoderV4; v1-v3: text).
//
// Exit status: the remote exit code, as kubectl does. Anything else (upgrade refused,
// transport failure, a Failure status without exit code) prints "remotecommand_peer: ..."
// to stderr and exits 1; transport errors say "transport:".
//
// Batch mode (-urls-file) runs one session per URL concurrently in this process and writes
// one JSON line per session to -report; it is how tests run hundreds of sessions cheaply.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/moby/spdystream"
)

const defaultExecProtocols = "v4.channel.k8s.io,v3.channel.k8s.io,v2.channel.k8s.io,channel.k8s.io"

type size struct{ width, height uint16 }

var knownStreamTypes = map[string]struct{}{
	"error": {}, "stdin": {}, "stdout": {}, "stderr": {}, "resize": {},
}

type options struct {
	url           string
	protocols     []string
	mode          string
	stdin         bool
	stdinText     *string
	stdout        bool
	stderr        bool
	tty           bool
	stdoutFile    string
	stderrFile    string
	sizes         []size
	streamTypes   []string // nil: the streams client-go would open
	resizeTrigger string
	resizeEvery   time.Duration
	readDelay     time.Duration
	readChunk     int
	pingPeriod    time.Duration
	report        string
	// port-forward
	port     int
	pairs    int
	pfInput  string
	pfOutput string
}

// sessionResult is what one exec session ended with; it is also the -report JSON line.
type sessionResult struct {
	Index     int    `json:"index"`
	URL       string `json:"url"`
	Protocol  string `json:"protocol"`
	Status    string `json:"status"` // raw error-stream bytes
	ExitCode  int    `json:"exit_code"`
	Error     string `json:"error,omitempty"`     // remote failure without exit code
	Transport string `json:"transport,omitempty"` // our side or the connection failed
	Stdout    string `json:"stdout,omitempty"`    // batch mode only
	Stderr    string `json:"stderr,omitempty"`    // batch mode only
}

// bufferedConn hands bytes the HTTP reader already buffered after the 101 head to spdystream
// before reading more from the socket.
type bufferedConn struct {
	net.Conn
	reader *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.reader.Read(p) }

// upgrade dials the URL, asks for SPDY/3.1 with the offered protocols and returns the
// spdystream client connection and the protocol the server chose.
func upgrade(rawURL string, protocols []string) (*spdystream.Connection, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", fmt.Errorf("transport: parse url %q: %v", rawURL, err)
	}
	if u.Scheme != "http" {
		return nil, "", fmt.Errorf("transport: url %q: scheme %q is not http", rawURL, u.Scheme)
	}
	tcp, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		return nil, "", fmt.Errorf("transport: dial %s: %v", u.Host, err)
	}
	var req bytes.Buffer
	fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\n", u.RequestURI(), u.Host)
	req.WriteString("Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n")
	for _, p := range protocols {
		fmt.Fprintf(&req, "X-Stream-Protocol-Version: %s\r\n", p)
	}
	req.WriteString("User-Agent: remotecommand_peer\r\nContent-Length: 0\r\n\r\n")
	if _, err := tcp.Write(req.Bytes()); err != nil {
		tcp.Close()
		return nil, "", fmt.Errorf("transport: send upgrade request: %v", err)
	}
	reader := bufio.NewReader(tcp)
	tcp.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(reader, nil)
	if err != nil {
		tcp.Close()
		return nil, "", fmt.Errorf("transport: read upgrade response: %v", err)
	}
	tcp.SetReadDeadline(time.Time{})
	connection := strings.ToLower(resp.Header.Get("Connection"))
	upgradeHdr := strings.ToLower(resp.Header.Get("Upgrade"))
	if resp.StatusCode != http.StatusSwitchingProtocols || !strings.Contains(connection, "upgrade") ||
		!strings.Contains(upgradeHdr, "spdy/3.1") {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64*1024))
		tcp.Close()
		return nil, "", fmt.Errorf("unable to upgrade connection: status %d: %s", resp.StatusCode,
			strings.TrimSpace(string(body)))
	}
	chosen := resp.Header.Get("X-Stream-Protocol-Version")
	if chosen != "" {
		offered := false
		for _, p := range protocols {
			offered = offered || p == chosen
		}
		if !offered {
			tcp.Close()
			return nil, "", fmt.Errorf("transport: server chose protocol %q, not one of %v", chosen, protocols)
		}
	}
	conn, err := spdystream.NewConnection(&bufferedConn{Conn: tcp, reader: reader}, false)
	if err != nil {
		tcp.Close()
		return nil, "", fmt.Errorf("transport: new spdy connection: %v", err)
	}
	go conn.Serve(spdystream.NoOpStreamHandler)
	return conn, chosen, nil
}

// createStream sends SYN_STREAM and waits for SYN_REPLY, as client-go does before the next.
func createStream(conn *spdystream.Connection, headers http.Header) (*spdystream.Stream, error) {
	stream, err := conn.CreateStream(headers, nil, false)
	if err != nil {
		return nil, fmt.Errorf("transport: create %s stream: %v", headers.Get("streamtype"), err)
	}
	if err := stream.WaitTimeout(30 * time.Second); err != nil {
		return nil, fmt.Errorf("transport: wait for %s stream reply: %v", headers.Get("streamtype"), err)
	}
	return stream, nil
}

func typedHeaders(streamType string) http.Header {
	h := http.Header{}
	h.Set("streamtype", streamType)
	return h
}

// protocolVersion maps the negotiated name to 1..4; v5 over SPDY behaves as v4 (§3.1).
func protocolVersion(protocol string) int {
	switch protocol {
	case "v5.channel.k8s.io", "v4.channel.k8s.io":
		return 4
	case "v3.channel.k8s.io":
		return 3
	case "v2.channel.k8s.io":
		return 2
	}
	return 1
}

// slowWriter sleeps before each chunk so that the server sees a slow reader.
type slowWriter struct {
	w     io.Writer
	delay time.Duration
	chunk int
}

func (s slowWriter) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		end := written + s.chunk
		if end > len(p) {
			end = len(p)
		}
		time.Sleep(s.delay)
		n, err := s.w.Write(p[written:end])
		written += n
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// triggerWriter watches stdout for a marker and signals once per occurrence.
type triggerWriter struct {
	w      io.Writer
	marker []byte
	seen   []byte
	fired  chan struct{}
}

func (t *triggerWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	t.seen = append(t.seen, p[:n]...)
	for {
		i := bytes.Index(t.seen, t.marker)
		if i < 0 {
			break
		}
		t.seen = t.seen[i+len(t.marker):]
		t.fired <- struct{}{}
	}
	if keep := len(t.marker); len(t.seen) > keep {
		t.seen = append([]byte(nil), t.seen[len(t.seen)-keep:]...)
	}
	return n, err
}

type sessionIO struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func sendSize(stream *spdystream.Stream, s size) error {
	// client-go writes TerminalSize through json.Encoder: exported names, newline-terminated.
	line, _ := json.Marshal(struct{ Width, Height uint16 }{s.width, s.height})
	_, err := stream.Write(append(line, '\n'))
	return err
}

func runExec(o *options, rawURL string, sio sessionIO) sessionResult {
	res := sessionResult{URL: rawURL, ExitCode: -1}
	conn, protocol, err := upgrade(rawURL, o.protocols)
	if err != nil {
		res.Transport = err.Error()
		return res
	}
	defer func() {
		conn.SetCloseTimeout(2 * time.Second)
		conn.Close()
	}()
	res.Protocol = protocol
	version := protocolVersion(protocol)

	types := o.streamTypes
	if types == nil {
		// client-go's order (§3.2): error, stdin, stdout, stderr (not with a tty), resize (v3+, tty).
		types = []string{"error"}
		if o.stdin {
			types = append(types, "stdin")
		}
		if o.stdout {
			types = append(types, "stdout")
		}
		if o.stderr && !o.tty {
			types = append(types, "stderr")
		}
		if o.tty && version >= 3 {
			types = append(types, "resize")
		}
	}
	if len(types) == 1 && types[0] == "none" {
		// Misbehaving client: opens no stream and waits for the server to give up.
		start := time.Now()
		<-conn.CloseChan()
		fmt.Fprintf(os.Stderr, "server closed the connection after %.1fs\n", time.Since(start).Seconds())
		res.ExitCode = 0
		return res
	}
	streams := map[string]*spdystream.Stream{}
	for _, t := range types {
		stream, err := createStream(conn, typedHeaders(t))
		if err != nil {
			if _, known := knownStreamTypes[t]; !known {
				// A server may refuse a stream type it does not know (RST_STREAM).
				fmt.Fprintf(os.Stderr, "stream %q refused: %v\n", t, err)
				continue
			}
			res.Transport = err.Error()
			return res
		}
		streams[t] = stream
	}
	errorStream := streams["error"]
	stdinStream, stdoutStream := streams["stdin"], streams["stdout"]
	stderrStream, resizeStream := streams["stderr"], streams["resize"]
	if errorStream == nil {
		res.Transport = "transport: no error stream was created"
		return res
	}

	// The error stream is read from the start, as client-go's watchErrorStream does.
	statusChan := make(chan []byte, 1)
	statusErr := make(chan error, 1)
	go func() {
		payload, err := io.ReadAll(errorStream)
		statusChan <- payload
		statusErr <- err
	}()

	if o.pingPeriod > 0 {
		done := make(chan struct{})
		defer close(done)
		go func() {
			ticker := time.NewTicker(o.pingPeriod)
			defer ticker.Stop()
			for {
				select {
				case <-done:
					return
				case <-ticker.C:
					conn.Ping()
				}
			}
		}()
	}

	var fired chan struct{}
	stdoutSink := sio.stdout
	if resizeStream != nil && len(o.sizes) > 0 {
		if err := sendSize(resizeStream, o.sizes[0]); err != nil {
			res.Transport = fmt.Sprintf("transport: send initial size: %v", err)
			return res
		}
		if len(o.sizes) > 1 && o.resizeTrigger != "" && stdoutSink != nil {
			fired = make(chan struct{}, 16)
			stdoutSink = &triggerWriter{w: stdoutSink, marker: []byte(o.resizeTrigger), fired: fired}
		}
		go func() {
			for _, s := range o.sizes[1:] {
				if fired != nil {
					<-fired
				} else {
					time.Sleep(o.resizeEvery)
				}
				if sendSize(resizeStream, s) != nil {
					return
				}
			}
		}()
	}

	if stdinStream != nil {
		go func() {
			if sio.stdin != nil {
				io.Copy(stdinStream, sio.stdin)
			}
			// Local EOF: half-close, so that the process sees EOF on its stdin.
			stdinStream.Close()
		}()
	}

	var wg sync.WaitGroup
	var copyErrs [2]error
	copyOut := func(i int, stream *spdystream.Stream, w io.Writer) {
		defer wg.Done()
		if w == nil {
			w = io.Discard
		}
		if o.readDelay > 0 {
			w = slowWriter{w: w, delay: o.readDelay, chunk: o.readChunk}
		}
		_, copyErrs[i] = io.Copy(w, stream)
	}
	if stdoutStream != nil {
		wg.Add(1)
		go copyOut(0, stdoutStream, stdoutSink)
	}
	if stderrStream != nil {
		wg.Add(1)
		go copyOut(1, stderrStream, sio.stderr)
	}
	wg.Wait()
	for _, err := range copyErrs {
		if err != nil {
			res.Transport = fmt.Sprintf("transport: copy output: %v", err)
			return res
		}
	}
	payload := <-statusChan
	if err := <-statusErr; err != nil {
		res.Transport = fmt.Sprintf("transport: read error stream: %v", err)
		return res
	}
	res.Status = string(payload)
	var exit exitError
	switch err := decodeStatus(version, payload); {
	case err == nil:
		res.ExitCode = 0
	case errors.As(err, &exit):
		res.ExitCode = exit.code
	default:
		res.Error = err.Error()
	}
	return res
}

// runBatch runs one exec session per URL concurrently, stdin = o.stdinText, output kept in
// memory, and writes one JSON line per session to o.report.
func runBatch(o *options, urlsFile string) error {
	data, err := os.ReadFile(urlsFile)
	if err != nil {
		return fmt.Errorf("read %s: %v", urlsFile, err)
	}
	urls := strings.Fields(string(data))
	results := make([]sessionResult, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func(i int, u string) {
			defer wg.Done()
			var stdout, stderr bytes.Buffer
			sio := sessionIO{stdout: &stdout, stderr: &stderr}
			if o.stdinText != nil {
				sio.stdin = strings.NewReader(*o.stdinText)
			}
			results[i] = runExec(o, u, sio)
			results[i].Index = i
			results[i].Stdout = stdout.String()
			results[i].Stderr = stderr.String()
		}(i, u)
	}
	wg.Wait()
	return writeReport(o.report, results)
}

func writeReport(path string, results []sessionResult) error {
	if path == "" {
		return nil
	}
	var out bytes.Buffer
	for _, r := range results {
		line, _ := json.Marshal(r)
		out.Write(append(line, '\n'))
	}
	return os.WriteFile(path, out.Bytes(), 0o644)
}

func parseSizes(spec string) ([]size, error) {
	var sizes []size
	for _, item := range strings.Split(spec, ",") {
		if item == "" {
			continue
		}
		var w, h uint16
		if _, err := fmt.Sscanf(item, "%dx%d", &w, &h); err != nil {
			return nil, fmt.Errorf("parse size %q (want WxH): %v", item, err)
		}
		sizes = append(sizes, size{w, h})
	}
	return sizes, nil
}

func openOutput(path string, fallback *os.File) (io.Writer, func(), error) {
	if path == "" {
		return fallback, func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "remotecommand_peer: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	var o options
	var protocols, sizes, urlsFile, stdinText, streamTypes string
	var timeout time.Duration
	flag.StringVar(&o.url, "url", "", "streaming URL from the CRI Exec/Attach/PortForward call")
	flag.StringVar(&urlsFile, "urls-file", "", "batch mode: one exec URL per line, run concurrently")
	flag.StringVar(&protocols, "protocols", "", "comma-separated protocols to offer, most preferred first")
	flag.StringVar(&o.mode, "mode", "exec", "exec (also attach URLs) or portforward")
	flag.BoolVar(&o.stdin, "stdin", false, "open a stdin stream and copy our stdin to it")
	flag.StringVar(&stdinText, "stdin-text", "", "with -stdin: send this text instead of our stdin")
	flag.BoolVar(&o.stdout, "stdout", true, "open a stdout stream")
	flag.BoolVar(&o.stderr, "stderr", true, "open a stderr stream (never with -tty)")
	flag.BoolVar(&o.tty, "tty", false, "the session has a terminal (no stderr stream; resize on v3+)")
	flag.StringVar(&streamTypes, "stream-types", "", "misbehave: create exactly these streams in this order (\"none\": no stream)")
	flag.StringVar(&o.stdoutFile, "stdout-file", "", "write stdout here instead of our stdout")
	flag.StringVar(&o.stderrFile, "stderr-file", "", "write stderr here instead of our stderr")
	flag.StringVar(&sizes, "resize", "", "WxH[,WxH...]: initial terminal size, then later sizes")
	flag.StringVar(&o.resizeTrigger, "resize-trigger", "", "send each later size when stdout shows this text")
	flag.DurationVar(&o.resizeEvery, "resize-interval", time.Second, "without -resize-trigger: delay between sizes")
	flag.DurationVar(&o.readDelay, "read-delay", 0, "sleep this long before each -read-chunk of output")
	flag.IntVar(&o.readChunk, "read-chunk", 4096, "bytes per slow read")
	flag.DurationVar(&o.pingPeriod, "ping-period", 5*time.Second, "SPDY ping interval (client-go: 5s); 0 = none")
	flag.StringVar(&o.report, "report", "", "write a JSON line per session here")
	flag.IntVar(&o.port, "port", 0, "portforward: the port header")
	flag.IntVar(&o.pairs, "pairs", 1, "portforward: stream pairs opened concurrently")
	flag.StringVar(&o.pfInput, "pf-input", "", "portforward: file sent on each data stream")
	flag.StringVar(&o.pfOutput, "pf-output", "", "portforward: reply of pair i goes to <pf-output>.i")
	flag.DurationVar(&timeout, "timeout", 120*time.Second, "give up after this long (exit 1)")
	flag.Parse()

	// A server that never ends a stream must fail a test, not hang it.
	time.AfterFunc(timeout, func() { fail("transport: timed out after %v", timeout) })
	if isFlagSet("stdin-text") {
		o.stdinText = &stdinText
	}
	if protocols == "" {
		protocols = defaultExecProtocols
		if o.mode == "portforward" {
			protocols = "portforward.k8s.io"
		}
	}
	for _, p := range strings.Split(protocols, ",") {
		if p = strings.TrimSpace(p); p != "" {
			o.protocols = append(o.protocols, p)
		}
	}
	if streamTypes != "" {
		o.streamTypes = strings.Split(streamTypes, ",")
	}
	var err error
	if o.sizes, err = parseSizes(sizes); err != nil {
		fail("%v", err)
	}

	switch {
	case o.mode == "portforward":
		if err := runPortForward(&o); err != nil {
			fail("%v", err)
		}
		return
	case o.mode != "exec":
		fail("unknown -mode %q", o.mode)
	case urlsFile != "":
		if err := runBatch(&o, urlsFile); err != nil {
			fail("%v", err)
		}
		return
	}

	stdout, closeOut, err := openOutput(o.stdoutFile, os.Stdout)
	if err != nil {
		fail("%v", err)
	}
	stderr, closeErr, err := openOutput(o.stderrFile, os.Stderr)
	if err != nil {
		fail("%v", err)
	}
	sio := sessionIO{stdin: os.Stdin, stdout: stdout, stderr: stderr}
	if o.stdinText != nil {
		sio.stdin = strings.NewReader(*o.stdinText)
	}
	res := runExec(&o, o.url, sio)
	closeOut()
	closeErr()
	if err := writeReport(o.report, []sessionResult{res}); err != nil {
		fail("%v", err)
	}
	switch {
	case res.Transport != "":
		fail("%s", res.Transport)
	case res.Error != "":
		fail("error: %s", res.Error)
	}
	os.Exit(res.ExitCode)
}

func isFlagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
