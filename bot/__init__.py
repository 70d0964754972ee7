"""Consult Desk (咨询台): the online consultation window of a public health-service office."""
