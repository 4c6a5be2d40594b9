-- Argo CD health check for Turnpike's policies (turnpike.dev RateLimitPolicy and
-- AuthPolicy share this script: both carry the same PolicyStatus, and test/argocd
-- checks that the two files stay identical). docs/argocd.md explains every rule.
-- The top-level conditions are judged; status.ancestors say the same per Gateway.
-- First match wins:
--   1. Being deleted                                       -> Progressing
--   2. Accepted missing or Unknown                         -> Progressing
--   3. The status describes an older metadata.generation   -> Progressing
--   4. Accepted=False (Invalid, TargetNotFound, Conflicted) -> Degraded
--   5. Enforced missing or Unknown                         -> Progressing
--   6. Enforced=True                                       -> Healthy
--   7. Enforced=False, reason Overridden (another policy
--      wins by design) or Unknown (no served route yet)    -> Healthy
--   8. Enforced=False, any other reason                    -> Degraded
-- Argo CD runs this with only the base and table libraries (no string.*).
local hs = {}
local kind = obj.kind or "Policy"

local function findCondition(conditions, conditionType)
  if conditions == nil then
    return nil
  end
  for _, condition in ipairs(conditions) do
    if condition.type == conditionType then
      return condition
    end
  end
  return nil
end

local function messageOf(condition)
  if condition.message ~= nil and condition.message ~= "" then
    return condition.message
  end
  return condition.type .. " is " .. condition.status .. " (" .. (condition.reason or "no reason") .. ")."
end

if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "The " .. kind .. " is being deleted."
  return hs
end

local status = obj.status or {}
local generation = obj.metadata.generation
local accepted = findCondition(status.conditions, "Accepted")
local enforced = findCondition(status.conditions, "Enforced")

if accepted == nil or accepted.status == "Unknown" then
  hs.status = "Progressing"
  hs.message = "Waiting for Turnpike to report on the " .. kind .. "."
  return hs
end

-- The status is current only when status.observedGeneration and every condition
-- (one without observedGeneration cannot be judged) describe this generation.
if generation ~= nil then
  local observed = status.observedGeneration
  for _, condition in ipairs(status.conditions) do
    if condition.observedGeneration ~= nil and (observed == nil or condition.observedGeneration < observed) then
      observed = condition.observedGeneration
    end
  end
  if observed ~= nil and observed < generation then
    hs.status = "Progressing"
    hs.message = "Waiting for Turnpike to process generation " .. generation
      .. "; the status describes generation " .. observed .. "."
    return hs
  end
end

if accepted.status == "False" then
  hs.status = "Degraded"
  hs.message = messageOf(accepted)
  return hs
end

if enforced == nil or enforced.status == "Unknown" then
  hs.status = "Progressing"
  hs.message = "The " .. kind .. " is accepted; waiting for it to be enforced."
  return hs
end

if enforced.status == "True" or enforced.reason == "Overridden" or enforced.reason == "Unknown" then
  hs.status = "Healthy"
else
  hs.status = "Degraded"
end
hs.message = messageOf(enforced)
return hs
