"""Mail: messages built from templates, a transactional outbox, SMTP delivery."""
