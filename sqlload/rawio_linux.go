package sqlload

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// The workload's connections read and write their sockets with raw system
// calls on the non-blocking descriptor, still waiting for readiness through
// Go's network poller. Why: each ordinary system call tells the scheduler
// it may block, and the first one after the process went idle (every
// worker waiting on a reply, which under load happens many times per
// millisecond) wakes the runtime's monitor thread from its deep sleep; that
// thread then polls every 20 µs until it finds the process idle again. On
// the closed-loop bench that wake-up cycle was the largest part of what the
// driver cost per job beyond pgbench's own system calls: a futex wake, a
// few context switches and short sleeps of the monitor per wake-up.
// Reading or writing a non-blocking socket never blocks, which is when
// a raw system call is allowed; the waiting is done by the poller as
// before, and deadlines (pgconn's context cancellation) still apply.

// rawIOConn is a net.Conn whose Read and Write use raw system calls.
type rawIOConn struct {
	net.Conn
	rc syscall.RawConn

	// The state of the call in progress, so that the functions handed to
	// the RawConn are made once per connection, not once per call.
	// pgconn never reads (or writes) one connection from two goroutines
	// at once; a read and a write may overlap, so each has its own.
	rbuf    []byte
	rn      int
	rerr    syscall.Errno
	readFn  func(uintptr) bool
	wbuf    []byte
	wn      int
	werr    syscall.Errno
	writeFn func(uintptr) bool
}

// wrapRawIO returns c reading and writing with raw system calls, or c
// itself when it has no file descriptor to do that with.
func wrapRawIO(c net.Conn) net.Conn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	r := &rawIOConn{Conn: c, rc: rc}
	r.readFn, r.writeFn = r.read, r.write
	return r
}

func (c *rawIOConn) read(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&c.rbuf[0])), uintptr(len(c.rbuf)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // not ready: the poller waits, then calls again
		}
		c.rn, c.rerr = int(n), e
		return true
	}
}

func (c *rawIOConn) write(fd uintptr) bool {
	for c.wn < len(c.wbuf) {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&c.wbuf[c.wn])), uintptr(len(c.wbuf)-c.wn))
		switch e {
		case 0:
			c.wn += int(n)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false // the send buffer is full: wait until it drains
		default:
			c.werr = e
			return true
		}
	}
	return true
}

// Read reads like net.Conn's Read: io.EOF when the peer closed.
func (c *rawIOConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	c.rbuf, c.rn, c.rerr = b, 0, 0
	err := c.rc.Read(c.readFn)
	c.rbuf = nil
	switch {
	case err != nil:
		return 0, err // closed, or a deadline passed (a net.Error that says Timeout)
	case c.rerr != 0:
		return 0, c.opError("read", c.rerr)
	case c.rn == 0:
		return 0, io.EOF
	}
	return c.rn, nil
}

// Write writes all of b (or fails).
func (c *rawIOConn) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	c.wbuf, c.wn, c.werr = b, 0, 0
	err := c.rc.Write(c.writeFn)
	c.wbuf = nil
	switch {
	case err != nil:
		return c.wn, err
	case c.werr != 0:
		return c.wn, c.opError("write", c.werr)
	}
	return c.wn, nil
}

func (c *rawIOConn) opError(op string, e syscall.Errno) error {
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError(op, e)}
}
