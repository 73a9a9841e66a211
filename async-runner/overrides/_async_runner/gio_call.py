# SPDX-License-Identifier: LGPL-2.1-or-later
"""call(): how to start a Gio asynchronous method (its cancellable and
callback parameters, from its GI signature), and which function finishes
it."""

import importlib
import inspect
import math

from gi._gi import CallbackInfo, FunctionInfo
from gi._gi import Direction as GIDirection
from gi._gi import TypeTag as GITypeTag
from gi.repository import GLib, Gio

from .common import _call_name, _raw_call_sync_full
from .signals import _invoke
from .thread import _pump


def _gi_type(arg):
    """The TypeInfo of the GI argument @arg (its name changed in PyGObject)."""
    getter = getattr(arg, 'get_type_info', None) or arg.get_type
    return getter()


def _gi_interface(arg):
    """(namespace, name, info) of the interface type of @arg, or None."""
    type_info = _gi_type(arg)
    if type_info.get_tag() != GITypeTag.INTERFACE:
        return None
    info = type_info.get_interface()
    return info.get_namespace(), info.get_name(), info


def _gi_closure_and_destroy(arg):
    """The indices of the user data and destroy notify of the GI argument
    @arg (-1: none); the methods were renamed in PyGObject 3.52."""
    if hasattr(arg, 'get_closure_index'):
        return arg.get_closure_index(), arg.get_destroy_index()
    return arg.get_closure(), arg.get_destroy()


def _gi_scope(info):
    """The Python object that holds the GI function @info: its class,
    interface or struct, or its namespace's module."""
    namespace = importlib.import_module('gi.repository.' + info.get_namespace())
    container = info.get_container()
    return namespace if container is None else getattr(namespace, container.get_name())


def _gi_function(fn):
    """(info, instance, bound) for a GI function @fn: PyGObject >= 3.52
    binds a method as a Python method (its instance known); older ones
    give a FunctionInfo bound or not (its instance hidden). (None, None,
    False) for anything else."""
    func = getattr(fn, '__func__', None)
    if isinstance(func, FunctionInfo):
        return func, fn.__self__, True
    if isinstance(fn, FunctionInfo):
        bound = (fn.is_method()
                 and fn is not inspect.getattr_static(_gi_scope(fn), fn.get_name(), None))
        return fn, None, bound
    return None, None, False


class _Shape:
    """How to start one asynchronous method, and how to finish it.

    For a GI function: the names of its cancellable and callback
    parameters, taken from its GI signature (they are not always last:
    ``Gio.File.copy_async`` has a progress callback between them), and its
    other parameters. For a Python callable: its ``cancellable`` and
    ``callback`` parameters if it names them so, else the last two
    positions.
    """

    __slots__ = ('cancellable', 'callback', 'names', 'order', 'aliases', 'gi_info',
                 'finish_name', 'unbound', 'instance', 'static', 'default_finish',
                 'finish_is_method', 'is_method', 'positional', 'indices', 'first_user_data',
                 'max_positional')

    def __init__(self, async_method):
        self.cancellable = None
        self.callback = None
        self.names = None
        self.order = []         # GI: (name, nullable) of each Python parameter
        self.aliases = {}
        self.unbound = False
        self.gi_info = None
        self.finish_name = None
        name = getattr(async_method, '__name__', None)

        self.static = None
        self.default_finish = None
        self.finish_is_method = False
        self.is_method = False
        # GI: how many positional arguments it takes (the instance apart)
        # before the cancellable or the callback, which are the call's own.
        self.max_positional = math.inf
        # GI: by count of positional arguments given (the instance apart),
        # what fills the rest in order when no keyword argument is given
        # (_FILL_*), or None when that cannot be done by position.
        self.positional = {}
        self.indices = []       # GI: the GI argument index of each of @order
        self.first_user_data = math.inf
        info, self.instance, bound = _gi_function(async_method)
        if info is not None:
            self.is_method = info.is_method()
            self.static = inspect.getattr_static(_gi_scope(info), info.get_name(), None)
            self.gi_info = info
            name = info.get_name()
            self.unbound = info.is_method() and not bound
            self.names = set()
            closures = []
            hidden = set()
            arguments = info.get_arguments()
            for index, arg in enumerate(arguments):
                # A callback's user data and destroy notify: not in Python.
                interface = _gi_interface(arg)
                if interface is not None and isinstance(interface[2], CallbackInfo):
                    user_data, destroy = _gi_closure_and_destroy(arg)
                    for other in (user_data, destroy):
                        if other >= 0 and other != index:
                            hidden.add(other)
                    if user_data >= 0 and user_data != index:
                        # PyGObject takes a callback's user data by position.
                        self.first_user_data = min(self.first_user_data, user_data)
            for index, arg in enumerate(arguments):
                if index in hidden or arg.get_direction() == GIDirection.OUT:
                    continue
                arg_name = arg.get_name()
                self.names.add(arg_name)
                self.order.append((arg_name, arg.may_be_null()))
                self.indices.append(index)
                interface = _gi_interface(arg)
                if interface is None:
                    continue
                if interface[:2] == ('Gio', 'Cancellable') and self.cancellable is None:
                    self.cancellable = arg_name
                elif interface[:2] == ('Gio', 'AsyncReadyCallback'):
                    self.callback = arg_name
                elif interface[:2] == ('GObject', 'Closure'):
                    closures.append(arg_name)
            if self.callback is None and closures:
                # A function taking GClosures (g_file_copy_async_with_closures,
                # renamed copy_async): the ready callback is the last.
                ready = [c for c in closures if 'ready' in c]
                self.callback = (ready or closures)[-1]
            if self.cancellable is None or self.callback is None:
                raise TypeError('%s() takes no cancellable or no GAsyncReadyCallback: '
                                'it is not a Gio asynchronous method' % (name,))
            self.max_positional = min(i for i, (arg_name, _) in enumerate(self.order)
                                      if arg_name in (self.cancellable, self.callback))
            # Keyword names that hold on every PyGObject: a closure-taking
            # variant's "progress_callback_closure" is also "progress_callback".
            for arg_name in self.names:
                if arg_name.endswith('_closure'):
                    self.aliases[arg_name[:-len('_closure')]] = arg_name
        else:
            try:
                parameters = inspect.signature(async_method).parameters
            except (TypeError, ValueError):
                parameters = {}
            if 'cancellable' in parameters and 'callback' in parameters:
                self.cancellable = 'cancellable'
                self.callback = 'callback'

        if name:
            base = name[:-len('_async')] if name.endswith('_async') else name
            self.finish_name = base + '_finish'

    def bind(self, async_method, info, func):
        """A copy of this cached shape of a GI function, for @async_method
        (whose FunctionInfo is @info, and __func__ @func): the same
        function, bound or not."""
        shape = _Shape.__new__(_Shape)
        shape.cancellable = self.cancellable
        shape.callback = self.callback
        shape.names = self.names
        shape.order = self.order
        shape.aliases = self.aliases
        shape.finish_name = self.finish_name
        shape.static = self.static
        shape.default_finish = self.default_finish
        shape.finish_is_method = self.finish_is_method
        shape.is_method = self.is_method
        shape.max_positional = self.max_positional
        shape.positional = self.positional
        shape.indices = self.indices
        shape.first_user_data = self.first_user_data
        shape.gi_info = info
        if func is not None:
            shape.instance, bound = async_method.__self__, True
        else:
            shape.instance, bound = None, async_method is not self.static
        shape.unbound = self.is_method and not bound
        return shape

    def _fill(self, given):
        """What fills the parameters after the @given first ones, by
        position (see `positional`), or None."""
        fill = []
        if given < len(self.indices) and self.indices[-1] > self.first_user_data:
            # A callback's user data lies among them (copy_async's progress
            # callback): PyGObject would take the next value for it.
            return None
        for name, nullable in self.order[given:]:
            if name == self.cancellable:
                fill.append(_FILL_CANCELLABLE)
            elif name == self.callback:
                fill.append(_FILL_CALLBACK)
            elif nullable:
                fill.append(_FILL_NONE)
            else:
                return None     # a required parameter not given: PyGObject says so
        if _FILL_CANCELLABLE not in fill or _FILL_CALLBACK not in fill:
            return None         # given in @args: PyGObject says so
        return tuple(fill)

    def start(self, async_method, args, options, cancellable, callback):
        """Runner thread: starts the operation."""
        if self.callback is None:
            return async_method(*args, cancellable, callback, **options)
        if not options and self.gi_info is not None:
            given = len(args) - self.unbound
            try:
                fill = self.positional[given]
            except KeyError:
                fill = self.positional[given] = self._fill(given) if given >= 0 else None
            if fill is not None:
                return async_method(*args, *[cancellable if f == _FILL_CANCELLABLE
                                             else callback if f == _FILL_CALLBACK else None
                                             for f in fill])
        if self.aliases and options:
            options = {self.aliases.get(k, k) if k not in self.names else k: v
                       for k, v in options.items()}
        options[self.cancellable] = cancellable
        options[self.callback] = callback
        # PyGObject has no default for a nullable parameter followed by a
        # required one (copy_async's progress callback on 3.50): say None.
        for name, nullable in self.order[len(args) - self.unbound:]:
            if nullable and name not in options:
                options[name] = None
        return async_method(*args, **options)

    def check(self, args, options):
        """Refuses, before the call, a positional argument in the place of
        the cancellable or the callback (they are the call's own) and
        keyword arguments the method does not take."""
        if self.names is None:
            return
        if len(args) - self.unbound > self.max_positional:
            value = args[self.unbound + self.max_positional]
            if isinstance(value, Gio.Cancellable):
                raise TypeError('%s(): pass the cancellable as cancellable=, not by position'
                                % (self.gi_info.get_name(),))
            raise TypeError('%s(): %r is not a cancellable (the call passes its own; pass '
                            'yours as cancellable=), and the callback is the call\'s own'
                            % (self.gi_info.get_name(), value))
        for key in options:
            if key not in self.names and self.aliases.get(key) not in self.names:
                raise TypeError('%s() has no parameter %r' % (self.gi_info.get_name(), key))
            if key in (self.cancellable, self.callback) or self.aliases.get(key) == self.callback:
                raise TypeError('pass the cancellable as cancellable=; the callback is the call\'s own')


# What fills a parameter in a call by position (_Shape.positional).
_FILL_NONE = 0
_FILL_CANCELLABLE = 1
_FILL_CALLBACK = 2


def _gi_function_fast(fn):
    """(info, bound-or-not-known) of a GI function, (None, None) otherwise."""
    func = getattr(fn, '__func__', None)
    if isinstance(func, FunctionInfo):
        return func, True
    if isinstance(fn, FunctionInfo):
        return fn, None
    return None, None


# _Shape of each GI function seen, by C symbol.
_gi_shapes = {}


def _shape_of(async_method):
    """The _Shape of @async_method; cached for GI functions."""
    func = getattr(async_method, '__func__', None)
    if isinstance(func, FunctionInfo):
        info = func
    elif isinstance(async_method, FunctionInfo):
        info, func = async_method, None
    else:
        return _Shape(async_method)
    symbol = info.get_symbol()
    shape = _gi_shapes.get(symbol)
    if shape is None:
        shape = _gi_shapes[symbol] = _Shape(info)
    return shape.bind(async_method, info, func)


def _takes_async_result(info):
    for arg in info.get_arguments():
        interface = _gi_interface(arg)
        if interface is not None and interface[:2] == ('Gio', 'AsyncResult'):
            return True
    return False


def _gi_finish_of(info):
    """The FunctionInfo of GI's own pairing of the async function @info with
    its finish function, where the typelib and PyGObject give it (GLib >=
    2.80, PyGObject >= 3.52), else None."""
    get_finish_func = getattr(info, 'get_finish_func', None)
    return get_finish_func() if get_finish_func is not None else None


def _gi_pairs(info, finish_info, finish_name):
    """Whether the GI function @finish_info finishes the GI function @info
    (both public GI data): GI's own pairing where the stack has it, else by
    name (X_async or X -> X_finish) in the same namespace, beside @info or
    in a base of its class. A method's finish may be a plain function
    (g_io_stream_splice_finish()), and the reverse."""
    paired = _gi_finish_of(info)
    if paired is not None:
        return paired.get_symbol() == finish_info.get_symbol()
    if (finish_info.get_name() != finish_name
            or finish_info.get_namespace() != info.get_namespace()):
        return False
    owner, finish_owner = _gi_scope(info), _gi_scope(finish_info)
    return owner is finish_owner or (isinstance(owner, type) and isinstance(finish_owner, type)
                                     and issubclass(owner, finish_owner))


def _find_finish(async_method, shape, args, finish):
    """Returns a function of the result that finishes @async_method: @finish
    if given (checked when both are GI functions), else the function that
    GI pairs with it, or the one found by name (``X_async`` or ``X`` ->
    ``X_finish``) beside it.

    Raises TypeError when there is none to find or @finish does not belong
    to @async_method, before anything runs: a finish function of another
    operation would take a result that is not its own (GIO's finish
    functions then read the wrong data).
    """
    info = shape.gi_info

    if finish is not None:
        if not callable(finish):
            raise TypeError('finish must be callable')
        finish_info, _, finish_bound = _gi_function(finish)
        if finish_info is None:
            return finish       # a Python function: trusted
        if not _takes_async_result(finish_info):
            raise TypeError('finish=%s() takes no Gio.AsyncResult: it is not a finish function'
                            % (finish_info.get_name(),))
        if info is None:
            return finish
        if not _gi_pairs(info, finish_info, shape.finish_name):
            owner = _gi_scope(finish_info)
            raise TypeError('finish=%s.%s() is not the finish function of %s(): a GI '
                            'function finishes its own operation only (wrap another in a '
                            'Python function to pass it)'
                            % (getattr(owner, '__name__', '?'), finish_info.get_name(),
                               info.get_name()))
        if finish_bound or not finish_info.is_method():
            return finish
        return _bind_finish(finish, args, shape)

    if info is not None and shape.default_finish is not None:
        candidate = shape.default_finish
        if not shape.finish_is_method:
            return candidate
        return _bind_finish(candidate, args, shape)
    if shape.finish_name is None:
        raise TypeError('cannot find the finish function of %r: pass finish=' % (async_method,))
    if info is None:
        owner = getattr(async_method, '__self__', None)
        candidate = getattr(owner, shape.finish_name, None) if owner is not None else None
        if candidate is None:
            raise TypeError('%r has no %s() beside it: pass finish='
                            % (async_method, shape.finish_name))
        return candidate
    paired = _gi_finish_of(info)
    if paired is not None:
        candidate = getattr(_gi_scope(paired), paired.get_name(), None)
    else:
        candidate = getattr(_gi_scope(info), shape.finish_name, None)
    if candidate is None:
        raise TypeError('%s() has no %s() beside it: pass finish='
                        % (info.get_name(), shape.finish_name))
    candidate_info = _gi_function(candidate)[0]
    if candidate_info is not None and not _takes_async_result(candidate_info):
        raise TypeError('%s() is not the finish function of %s(): pass finish='
                        % (shape.finish_name, info.get_name()))
    # An override's Python function in the class takes the instance.
    is_method = info.is_method() if candidate_info is None else candidate_info.is_method()
    cached = _gi_shapes.get(info.get_symbol())
    if cached is not None:
        cached.default_finish = candidate
        cached.finish_is_method = is_method
    if not is_method:
        return candidate
    return _bind_finish(candidate, args, shape)


def _bind_finish(method, args, shape):
    """The unbound finish method @method, called on the async method's
    instance: known, or the first argument of an unbound call, else the
    result's source object (a bound FunctionInfo hides its instance)."""
    if shape.instance is not None:
        instance = shape.instance
        return lambda result: method(instance, result)
    if shape.unbound and args:
        instance = args[0]
        return lambda result: method(instance, result)

    info = shape.gi_info

    def finish_on_source(result):
        source = result.get_source_object()
        if source is None:
            raise TypeError('%s: the result has no source object: pass finish='
                            % (info.get_name(),))
        return method(source, result)
    return finish_on_source



def _call(runner, async_method, args, cancellable, timeout, finish, options):
    """`Runner.call()`."""
    shape = _shape_of(async_method)
    if shape.gi_info is None:
        if inspect.iscoroutine(async_method) or inspect.iscoroutinefunction(async_method):
            raise TypeError('call() runs a Gio asynchronous method, not a coroutine: '
                            'use run_async()')
        if not callable(async_method):
            raise TypeError('call() takes a Gio asynchronous method, not %r'
                            % (async_method,))
    shape.check(args, options)
    finish = _find_finish(async_method, shape, args, finish)

    failure = []

    # Runner thread.
    def begin(op_cancellable, callback):
        delivered = False

        # The core's callback, called at most once: a method that
        # raises may have called or scheduled it already.
        def deliver_once(source, result, *unused):
            nonlocal delivered
            if not delivered:
                delivered = True
                callback(source, result)

        try:
            shape.start(async_method, args, dict(options), op_cancellable, deliver_once)
        except BaseException as error:
            # The call raises @error. End it now, unless it has ended.
            failure.append(error)
            if not delivered:
                Gio.Task.new(None, op_cancellable, deliver_once).return_boolean(False)

    # Runner thread: start(runner, user_data, cancellable, callback).
    # A GI function starts at once and hands the core's own callback to
    # C (no Python on the way back); it cannot call back and then
    # raise. A Python method runs from the pump (it may take its time:
    # a timeout must still end the call), its callback checked.
    if shape.gi_info is not None:
        def start(runner, *rest):
            try:
                shape.start(async_method, args, dict(options), rest[-2], rest[-1])
            except BaseException as error:
                failure.append(error)
                return False    # not started: the core ends the call
            return True
    else:
        def start(runner, *rest):
            try:
                _pump(runner).soon(begin, rest[-2], rest[-1])
            except BaseException as error:
                failure.append(error)
                return False    # the core ends the call
            return True

    try:
        result = _invoke(runner, _raw_call_sync_full, start, cancellable, timeout,
                         _call_name(async_method))
    except GLib.Error:
        if failure:
            raise failure.pop() from None
        raise
    if failure:
        raise failure.pop()
    return finish(result)
