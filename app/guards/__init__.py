"""State the edge's guards share across replicas: Mailgun tokens already seen, and the
request counts behind the rate limits."""
