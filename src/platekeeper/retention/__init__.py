"""Retention: the job that deletes expired data and destroys its keys
(crypto-shredding), and legal holds that exempt a case from it."""
