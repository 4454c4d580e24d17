/*
 * sink: a usrsctp server bound to every address of its host (so that its
 * INIT ACK lists them all: a multi-homed peer) that accepts one
 * association and checks what it reads: messages on stream 0 whose first
 * four bytes are their index (big endian), expected in order 0, 1, 2...
 *
 * Usage: sink PORT
 * Prints "listening", then after the association ends:
 * "received N in-order O out-of-order D bad B" and exits 0 if every message
 * came once, in order.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <usrsctp.h>

#define BUFSZ (64 * 1024)

int main(int argc, char *argv[])
{
	struct socket *l, *s;
	struct sockaddr_in addr;
	static char buf[BUFSZ];
	unsigned long received = 0, inorder = 0, outoforder = 0, bad = 0;
	uint32_t next = 0;
	const int on = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PORT\n", argv[0]);
		return 2;
	}
	usrsctp_init(0, NULL, NULL); /* native SCTP over raw IP */
	usrsctp_sysctl_set_sctp_blackhole(2);
	l = usrsctp_socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
	if (l == NULL) {
		perror("usrsctp_socket");
		return 1;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons(atoi(argv[1]));
	addr.sin_addr.s_addr = htonl(INADDR_ANY);
	if (usrsctp_bind(l, (struct sockaddr *)&addr, sizeof(addr)) < 0 || usrsctp_listen(l, 1) < 0) {
		perror("usrsctp_bind/listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	s = usrsctp_accept(l, NULL, NULL);
	if (s == NULL) {
		perror("usrsctp_accept");
		return 1;
	}
	usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof(on));
	printf("accepted\n");
	fflush(stdout);
	for (;;) {
		struct sctp_rcvinfo rcv;
		socklen_t fromlen = 0, infolen = sizeof(rcv);
		unsigned int infotype = 0;
		int flags = 0;
		ssize_t n = usrsctp_recvv(s, buf, sizeof(buf), NULL, &fromlen, &rcv, &infolen, &infotype, &flags);
		uint32_t idx;

		if (n <= 0)
			break;
		if (flags & MSG_NOTIFICATION)
			continue;
		received++;
		if (n < 4 || !(flags & MSG_EOR) || infotype != SCTP_RECVV_RCVINFO || rcv.rcv_sid != 0) {
			bad++;
			continue;
		}
		memcpy(&idx, buf, 4);
		idx = ntohl(idx);
		if (idx == next) {
			inorder++;
			next++;
		} else {
			outoforder++;
			fprintf(stderr, "message %u when %u was due\n", idx, next);
			if (idx > next)
				next = idx + 1;
		}
	}
	printf("received %lu in-order %lu out-of-order %lu bad %lu\n", received, inorder, outoforder, bad);
	fflush(stdout);
	usrsctp_close(s);
	usrsctp_close(l);
	while (usrsctp_finish() != 0)
		sleep(1);
	return (outoforder || bad) ? 1 : 0;
}
