// The one header to include for CRI runtime.v1 messages and gRPC services.
//
// Why not include "proto/api.pb.h" directly: upstream's `enum Signal` has values named SIGKILL,
// SIGTERM, ... which <signal.h> defines as macros. Any translation unit that saw <signal.h>
// first (grpcpp, gtest and <csignal> all pull it in) fails to compile the generated header. Here
// those macros are hidden while the generated headers are read and restored afterwards.
//
// Consequence for callers: after this header `runtime::v1::SIGKILL` is macro-expanded and does
// not compile. Convert through the name instead, e.g. runtime::v1::Signal_Name(value)
// == "SIGKILL", or compare with the CRI number (runtime::v1::Signal is not the Linux numbering).
#ifndef AIRLOCK_PROTO_CRI_API_H_
#define AIRLOCK_PROTO_CRI_API_H_

// <csignal> first, so that its macros exist before they are pushed: a <signal.h> reached for the
// first time between push and pop would otherwise be lost at the pop (include guard set, macros
// gone).
#include <csignal>

#pragma push_macro("SIGABRT")
#pragma push_macro("SIGALRM")
#pragma push_macro("SIGBUS")
#pragma push_macro("SIGCHLD")
#pragma push_macro("SIGCLD")
#pragma push_macro("SIGCONT")
#pragma push_macro("SIGFPE")
#pragma push_macro("SIGHUP")
#pragma push_macro("SIGILL")
#pragma push_macro("SIGINT")
#pragma push_macro("SIGIO")
#pragma push_macro("SIGIOT")
#pragma push_macro("SIGKILL")
#pragma push_macro("SIGPIPE")
#pragma push_macro("SIGPOLL")
#pragma push_macro("SIGPROF")
#pragma push_macro("SIGPWR")
#pragma push_macro("SIGQUIT")
#pragma push_macro("SIGSEGV")
#pragma push_macro("SIGSTKFLT")
#pragma push_macro("SIGSTOP")
#pragma push_macro("SIGSYS")
#pragma push_macro("SIGTERM")
#pragma push_macro("SIGTRAP")
#pragma push_macro("SIGTSTP")
#pragma push_macro("SIGTTIN")
#pragma push_macro("SIGTTOU")
#pragma push_macro("SIGURG")
#pragma push_macro("SIGUSR1")
#pragma push_macro("SIGUSR2")
#pragma push_macro("SIGVTALRM")
#pragma push_macro("SIGWINCH")
#pragma push_macro("SIGXCPU")
#pragma push_macro("SIGXFSZ")
#pragma push_macro("SIGRTMIN")
#pragma push_macro("SIGRTMAX")
#undef SIGABRT
#undef SIGALRM
#undef SIGBUS
#undef SIGCHLD
#undef SIGCLD
#undef SIGCONT
#undef SIGFPE
#undef SIGHUP
#undef SIGILL
#undef SIGINT
#undef SIGIO
#undef SIGIOT
#undef SIGKILL
#undef SIGPIPE
#undef SIGPOLL
#undef SIGPROF
#undef SIGPWR
#undef SIGQUIT
#undef SIGSEGV
#undef SIGSTKFLT
#undef SIGSTOP
#undef SIGSYS
#undef SIGTERM
#undef SIGTRAP
#undef SIGTSTP
#undef SIGTTIN
#undef SIGTTOU
#undef SIGURG
#undef SIGUSR1
#undef SIGUSR2
#undef SIGVTALRM
#undef SIGWINCH
#undef SIGXCPU
#undef SIGXFSZ
#undef SIGRTMIN
#undef SIGRTMAX

#include "proto/api.grpc.pb.h"  // IWYU pragma: export
#include "proto/api.pb.h"       // IWYU pragma: export

#pragma pop_macro("SIGABRT")
#pragma pop_macro("SIGALRM")
#pragma pop_macro("SIGBUS")
#pragma pop_macro("SIGCHLD")
#pragma pop_macro("SIGCLD")
#pragma pop_macro("SIGCONT")
#pragma pop_macro("SIGFPE")
#pragma pop_macro("SIGHUP")
#pragma pop_macro("SIGILL")
#pragma pop_macro("SIGINT")
#pragma pop_macro("SIGIO")
#pragma pop_macro("SIGIOT")
#pragma pop_macro("SIGKILL")
#pragma pop_macro("SIGPIPE")
#pragma pop_macro("SIGPOLL")
#pragma pop_macro("SIGPROF")
#pragma pop_macro("SIGPWR")
#pragma pop_macro("SIGQUIT")
#pragma pop_macro("SIGSEGV")
#pragma pop_macro("SIGSTKFLT")
#pragma pop_macro("SIGSTOP")
#pragma pop_macro("SIGSYS")
#pragma pop_macro("SIGTERM")
#pragma pop_macro("SIGTRAP")
#pragma pop_macro("SIGTSTP")
#pragma pop_macro("SIGTTIN")
#pragma pop_macro("SIGTTOU")
#pragma pop_macro("SIGURG")
#pragma pop_macro("SIGUSR1")
#pragma pop_macro("SIGUSR2")
#pragma pop_macro("SIGVTALRM")
#pragma pop_macro("SIGWINCH")
#pragma pop_macro("SIGXCPU")
#pragma pop_macro("SIGXFSZ")
#pragma pop_macro("SIGRTMIN")
#pragma pop_macro("SIGRTMAX")

#endif  // AIRLOCK_PROTO_CRI_API_H_
