"""botdesk: privacy-first customer-service chat for web shops."""

__version__ = "0.1.0"
