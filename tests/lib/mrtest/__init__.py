"""Test and demo harness for mailroute-auth: private MariaDB and Dovecot
instances on loopback, fixture loading, and drivers for the binaries."""
