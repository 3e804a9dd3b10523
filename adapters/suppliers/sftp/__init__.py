"""Purchase orders dropped as CSV files on a supplier's SFTP server."""

from tandem.adapters.suppliers.sftp.channel import SftpChannel

__all__ = ["SftpChannel"]
