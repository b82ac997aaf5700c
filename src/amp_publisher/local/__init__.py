"""The embedded local backend: moto's server on loopback standing in for the AWS resources that
``template.yaml`` creates (buckets, manifest table, failed-events queue), with the same names."""
