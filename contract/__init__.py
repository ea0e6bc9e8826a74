"""What ingestion, validation and publishing share: the table contract and the reference data.

Nothing here imports another package of the project, so every stage can import it.
"""
