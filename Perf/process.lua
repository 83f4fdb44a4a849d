-- wrk script: POST the seed's request with user ids cycling 1..10000.
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
    counter = counter % 10000 + 1
    return wrk.format(nil, nil, nil, '{"user_id": ' .. counter .. ', "action": "purchase"}')
end
