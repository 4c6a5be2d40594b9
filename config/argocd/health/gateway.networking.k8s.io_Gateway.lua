-- Argo CD health check for gateway.networking.k8s.io/Gateway, written against the
-- status Turnpike writes (docs/argocd.md explains every rule). The rules are the
-- Gateway API's own, so Gateways of other implementations are judged fairly too.
-- First match wins:
--   1. Being deleted                                       -> Progressing
--   2. Accepted or Programmed missing or Unknown           -> Progressing
--   3. A condition describes an older metadata.generation  -> Progressing
--   4. Accepted=False                                      -> Degraded
--   5. Programmed=False, reason Pending/AddressNotAssigned -> Progressing
--      Programmed=False, any other reason                  -> Degraded
--   6. A listener not Accepted, ResolvedRefs, Programmed,
--      or Conflicted                                       -> Degraded
--   7. A listener Programmed=False, reason Pending         -> Progressing
--   8. Otherwise                                           -> Healthy
-- Argo CD runs this with only the base and table libraries (no string.*).
local hs = {}
local maxListed = 3

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

-- staleCondition returns the first condition written for an older generation. A
-- condition without observedGeneration cannot be judged and is taken as current.
local function staleCondition(conditions, generation)
  if conditions == nil or generation == nil then
    return nil
  end
  for _, condition in ipairs(conditions) do
    if condition.observedGeneration ~= nil and condition.observedGeneration < generation then
      return condition
    end
  end
  return nil
end

-- listenerProblem returns the condition that says why a listener is not served. A
-- listener still being programmed (Programmed=False, reason Pending) is no problem.
local function listenerProblem(listener)
  for _, conditionType in ipairs({ "Accepted", "ResolvedRefs", "Programmed" }) do
    local condition = findCondition(listener.conditions, conditionType)
    if condition ~= nil and condition.status == "False" and not (conditionType == "Programmed" and condition.reason == "Pending") then
      return condition
    end
  end
  local conflicted = findCondition(listener.conditions, "Conflicted")
  if conflicted ~= nil and conflicted.status == "True" then
    return conflicted
  end
  return nil
end

-- listenerProblems describes the first few listeners that are not served, one
-- sentence each, and says how many more there are.
local function listenerProblems(listeners)
  local described = {}
  local count = 0
  for _, listener in ipairs(listeners or {}) do
    local problem = listenerProblem(listener)
    if problem ~= nil then
      count = count + 1
      if count <= maxListed then
        table.insert(described, 'Listener "' .. (listener.name or "") .. '": ' .. messageOf(problem))
      end
    end
  end
  if count == maxListed + 1 then
    table.insert(described, "And 1 more listener.")
  elseif count > maxListed then
    table.insert(described, "And " .. (count - maxListed) .. " more listeners.")
  end
  return table.concat(described, " "), count
end

if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "The Gateway is being deleted."
  return hs
end

local status = obj.status or {}
local generation = obj.metadata.generation
local accepted = findCondition(status.conditions, "Accepted")
local programmed = findCondition(status.conditions, "Programmed")

if accepted == nil or programmed == nil or accepted.status == "Unknown" or programmed.status == "Unknown" then
  hs.status = "Progressing"
  hs.message = "Waiting for the Gateway's controller to report Accepted and Programmed."
  return hs
end

local stale = staleCondition(status.conditions, generation)
if stale == nil then
  for _, listener in ipairs(status.listeners or {}) do
    stale = stale or staleCondition(listener.conditions, generation)
  end
end
if stale ~= nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the controller to process generation " .. generation
    .. "; the status describes generation " .. stale.observedGeneration .. "."
  return hs
end

local problems, problemCount = listenerProblems(status.listeners)

if accepted.status == "False" then
  hs.status = "Degraded"
  hs.message = messageOf(accepted)
  if problemCount > 0 then
    hs.message = hs.message .. " " .. problems
  end
  return hs
end

if programmed.status == "False" then
  -- An address still being assigned (a LoadBalancer Service waiting for its
  -- ingress) is progress, as Argo CD's own Service check treats it.
  if programmed.reason == "Pending" or programmed.reason == "AddressNotAssigned" then
    hs.status = "Progressing"
  else
    hs.status = "Degraded"
  end
  hs.message = messageOf(programmed)
  return hs
end

if problemCount > 0 then
  hs.status = "Degraded"
  hs.message = problems
  return hs
end

for _, listener in ipairs(status.listeners or {}) do
  local listenerProgrammed = findCondition(listener.conditions, "Programmed")
  if listenerProgrammed ~= nil and listenerProgrammed.status == "False" then
    hs.status = "Progressing"
    hs.message = 'Listener "' .. (listener.name or "") .. '": ' .. messageOf(listenerProgrammed)
    return hs
  end
end

hs.status = "Healthy"
hs.message = messageOf(programmed)
return hs
