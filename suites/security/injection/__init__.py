"""The injection probe engine.

surfaces  what is probed, by data (`data/surfaces/*.yaml`): operations from routes tables
          and contracts, HTML forms, the objects valid requests point at
shapes    what a contract says: the fields, the leaf a payload goes into, valid values
bench     a probing tenant: its objects, and the exact bytes of each request
wire      a raw HTTP/1.1 exchange (nothing cleaned by a client library)
verdict   did the probe reach its field, and was the answer safe (`markup` for HTML)
engine    runs one operation x one payload category, reports and counts
known     real bugs found and reported, as strict xfails; `summary` the run's totals
rails     ECPay and NewebPay (and the shop's receivers for them): objects made through their
          pages, hooks re-signing or re-sealing a probed request, their HTTP-200 refusals
"""
