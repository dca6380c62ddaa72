// spdy_peer is the client half of spdy_interop_test: it speaks SPDY/3.1 through
// moby/spdystream, the library client-go, crictl and the kubelet use, against the test
// server. Per session it opens the streams the way client-go's remotecommand does (error,
// stdin, stdout; each waits for its SYN_REPLY), pings, sends the payload on stdin,
// half-closes stdin, and saves what comes back on stdout. It exits non-zero on any error.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/moby/spdystream"
	"github.com/moby/spdystream/spdy"
)

type options struct {
	addr     string
	input    string
	output   string
	mode     string
	chunk    int
	sessions int
	timeout  time.Duration
}

func createStream(conn *spdystream.Connection, streamType, mode string) (*spdystream.Stream, error) {
	headers := http.Header{}
	headers.Set("streamtype", streamType)
	headers.Set("x-echo", mode)
	stream, err := conn.CreateStream(headers, nil, false)
	if err != nil {
		return nil, fmt.Errorf("create %s stream: %v", streamType, err)
	}
	// client-go waits for each reply before creating the next stream.
	if err := stream.WaitTimeout(30 * time.Second); err != nil {
		return nil, fmt.Errorf("wait for %s reply: %v", streamType, err)
	}
	return stream, nil
}

func runSession(o options, index int, payload []byte) error {
	tcp, err := net.DialTimeout("tcp", o.addr, 10*time.Second)
	if err != nil {
		return fmt.Errorf("dial %s: %v", o.addr, err)
	}
	defer tcp.Close()
	conn, err := spdystream.NewConnection(tcp, false)
	if err != nil {
		return fmt.Errorf("new spdy connection: %v", err)
	}
	go conn.Serve(spdystream.NoOpStreamHandler)

	errorStream, err := createStream(conn, "error", o.mode)
	if err != nil {
		return err
	}
	stdin, err := createStream(conn, "stdin", o.mode)
	if err != nil {
		return err
	}
	stdout, err := createStream(conn, "stdout", o.mode)
	if err != nil {
		return err
	}
	if _, err := conn.Ping(); err != nil {
		return fmt.Errorf("ping: %v", err)
	}

	outPath := fmt.Sprintf("%s.%d", o.output, index)
	outFile, err := os.Create(outPath)
	if err != nil {
		return fmt.Errorf("create %s: %v", outPath, err)
	}
	defer outFile.Close()

	// Read concurrently with writing, as client-go does: spdystream delivers frames
	// through unbuffered channels, so an unread stream stalls the whole connection.
	var wg sync.WaitGroup
	var copyErr error
	var received int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		received, copyErr = io.Copy(outFile, stdout)
	}()

	for at := 0; at < len(payload); {
		end := at + o.chunk
		if end > len(payload) {
			end = len(payload)
		}
		if err := stdin.WriteData(payload[at:end], false); err != nil {
			return fmt.Errorf("write stdin at %d: %v", at, err)
		}
		at = end
	}
	if err := stdin.Close(); err != nil {
		return fmt.Errorf("half-close stdin: %v", err)
	}
	wg.Wait()
	if copyErr != nil {
		return fmt.Errorf("read stdout: %v", copyErr)
	}
	status, err := io.ReadAll(errorStream)
	if err != nil {
		return fmt.Errorf("read error stream: %v", err)
	}
	if _, err := conn.Ping(); err != nil {
		return fmt.Errorf("second ping: %v", err)
	}
	fmt.Printf("session %d: stdout=%d error=%s\n", index, received, status)
	conn.SetCloseTimeout(2 * time.Second)
	return conn.Close()
}

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "", "server host:port")
	flag.StringVar(&o.input, "in", "", "file whose bytes are sent on stdin")
	flag.StringVar(&o.output, "out", "", "stdout is saved to <out>.<session>")
	flag.StringVar(&o.mode, "mode", "chunk", "x-echo header: chunk or whole")
	flag.IntVar(&o.chunk, "chunk", 32*1024, "bytes per stdin DATA frame")
	flag.IntVar(&o.sessions, "sessions", 1, "concurrent connections")
	flag.DurationVar(&o.timeout, "timeout", 60*time.Second, "give up (exit 3) after this long")
	flag.Parse()
	// A server that sends a malformed frame can leave spdystream waiting for bytes that
	// never come; the test must fail, not hang.
	time.AfterFunc(o.timeout, func() {
		fmt.Fprintf(os.Stderr, "timed out after %v\n", o.timeout)
		os.Exit(3)
	})
	if o.chunk <= 0 || o.chunk > spdy.MaxDataLength {
		o.chunk = spdy.MaxDataLength
	}
	payload, err := os.ReadFile(o.input)
	if err != nil {
		fmt.Fprintf(os.Stderr, "read %s: %v\n", o.input, err)
		os.Exit(2)
	}
	var wg sync.WaitGroup
	errs := make([]error, o.sessions)
	for i := 0; i < o.sessions; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = runSession(o, i, payload)
		}(i)
	}
	wg.Wait()
	failed := false
	for i, err := range errs {
		if err != nil {
			fmt.Fprintf(os.Stderr, "session %d: %v\n", i, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}
