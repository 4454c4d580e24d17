/*
 * client_peer: a usrsctp client bound to a fixed local port, so that a
 * second run after the first was killed opens its association from the same
 * address and port: the server sees the peer restart (RFC 9260 5.2.2).
 *
 * Usage: client_peer LOCAL_PORT SERVER_ADDR SERVER_PORT COUNT TAG [abort]
 * Sends COUNT messages "TAG i" on stream 0 with PPID 0x53580000|i (no
 * protocol tshark dissects) and prints "sent COUNT". Then, with "abort", it
 * waits half a second and closes with SO_LINGER 0, which sends an ABORT
 * (RFC 6458 8.1.4); without, it reads until the association ends, printing
 * "closed by SHUTDOWN" (read returns 0) or "closed: " and the error (after
 * an ABORT), or until it is killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <usrsctp.h>

int main(int argc, char *argv[])
{
	struct socket *s;
	struct sockaddr_in local, remote;
	struct sctp_sndinfo snd;
	char buf[256];
	int i, count;

	if (argc != 6 && !(argc == 7 && strcmp(argv[6], "abort") == 0)) {
		fprintf(stderr, "usage: %s LOCAL_PORT SERVER_ADDR SERVER_PORT COUNT TAG [abort]\n", argv[0]);
		return 2;
	}
	count = atoi(argv[4]);
	usrsctp_init(0, NULL, NULL); /* native SCTP over raw IP, no UDP encapsulation */
	usrsctp_sysctl_set_sctp_blackhole(2);
	s = usrsctp_socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
	if (s == NULL) {
		perror("usrsctp_socket");
		return 1;
	}
	memset(&local, 0, sizeof(local));
	local.sin_family = AF_INET;
	local.sin_port = htons(atoi(argv[1]));
	local.sin_addr.s_addr = htonl(INADDR_ANY);
	if (usrsctp_bind(s, (struct sockaddr *)&local, sizeof(local)) < 0) {
		perror("usrsctp_bind");
		return 1;
	}
	memset(&remote, 0, sizeof(remote));
	remote.sin_family = AF_INET;
	remote.sin_port = htons(atoi(argv[3]));
	if (inet_pton(AF_INET, argv[2], &remote.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", argv[2]);
		return 2;
	}
	if (usrsctp_connect(s, (struct sockaddr *)&remote, sizeof(remote)) < 0) {
		perror("usrsctp_connect");
		return 1;
	}
	printf("connected\n");
	fflush(stdout);
	for (i = 0; i < count; i++) {
		int n = snprintf(buf, sizeof(buf), "%s %d", argv[5], i);
		memset(&snd, 0, sizeof(snd));
		snd.snd_ppid = htonl(0x53580000u | (unsigned)i);
		if (usrsctp_sendv(s, buf, (size_t)n, NULL, 0, &snd, sizeof(snd), SCTP_SENDV_SNDINFO, 0) < 0) {
			perror("usrsctp_sendv");
			return 1;
		}
	}
	printf("sent %d\n", count);
	fflush(stdout);
	if (argc == 7) {
		struct linger l = {1, 0};

		usleep(500000);
		if (usrsctp_setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0) {
			perror("SO_LINGER");
			return 1;
		}
		usrsctp_close(s);
		printf("aborted\n");
		fflush(stdout);
	} else {
		for (;;) {
			socklen_t fromlen = 0, infolen = 0;
			unsigned int infotype = 0;
			int flags = 0;
			ssize_t n = usrsctp_recvv(s, buf, sizeof(buf), NULL, &fromlen, NULL, &infolen, &infotype, &flags);
			if (n == 0) {
				printf("closed by SHUTDOWN\n");
				break;
			}
			if (n < 0) {
				printf("closed: %s\n", strerror(errno));
				break;
			}
		}
		fflush(stdout);
		usrsctp_close(s);
	}
	while (usrsctp_finish() != 0)
		sleep(1);
	return 0;
}
