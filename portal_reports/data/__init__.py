"""Portal JSON as typed frames (:mod:`.frames`) and one customer-month of data (:mod:`.month`)."""
