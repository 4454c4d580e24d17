package assoc

// State is an association state of RFC 9260 4 (Figure 3).
type State uint8

// Association states, named as in RFC 9260 4.
const (
	Closed State = iota
	CookieWait
	CookieEchoed
	Established
	ShutdownPending
	ShutdownSent
	ShutdownReceived
	ShutdownAckSent
	numStates
)

var stateNames = [numStates]string{
	"CLOSED", "COOKIE-WAIT", "COOKIE-ECHOED", "ESTABLISHED",
	"SHUTDOWN-PENDING", "SHUTDOWN-SENT", "SHUTDOWN-RECEIVED", "SHUTDOWN-ACK-SENT",
}

// String gives the RFC's name of the state.
func (s State) String() string {
	if s < numStates {
		return stateNames[s]
	}
	return "INVALID"
}

// Valid reports whether s is one of the states above.
func (s State) Valid() bool { return s < numStates }

// shuttingDown reports the states of RFC 9260 9.2 (SHUTDOWN-PENDING onwards).
func (s State) shuttingDown() bool { return s >= ShutdownPending && s < numStates }
