package main

// sysSetns is setns(2)'s number; package syscall does not name it here.
const sysSetns = 268
