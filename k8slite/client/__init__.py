"""client-go: REST client, informers, workqueues."""
